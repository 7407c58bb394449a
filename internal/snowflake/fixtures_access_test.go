package snowflake

import (
	"time"

	"github.com/DATA-DOG/go-sqlmock"

	"github.com/signoff/signoff/internal/signoff"
)

// grantCols are sqlstore.ListGrants's columns.
var grantCols = []string{"request_id", "product_id", "product_name", "classification", "access_role", "requester",
	"duration_days", "expires_at", "granted_at"}

// grantRows renders GRANTED requests as ListGrants rows, as Snowflake
// answers them, each granted at its UpdatedAt.
func grantRows(rs ...signoff.Request) *sqlmock.Rows {
	rows := sqlmock.NewRows(grantCols)
	for _, r := range rs {
		var expires any
		if !r.ExpiresAt.IsZero() {
			expires = r.ExpiresAt
		}
		rows.AddRow(r.ID, r.ProductID, r.ProductName, r.Classification, r.AccessRole, r.Requester,
			int64(r.DurationDays), expires, r.UpdatedAt)
	}
	return rows
}

// allRequestCols are sqlstore.ListRequests's columns.
var allRequestCols = []string{"request_id", "product_id", "product_name", "classification", "access_role",
	"requester", "status", "current_step", "step_count", "created_at", "updated_at", "asked_days", "duration_days", "expires_at"}

// allRequestRows renders requests as ListRequests rows.
func allRequestRows(rs ...signoff.Request) *sqlmock.Rows {
	rows := sqlmock.NewRows(allRequestCols)
	for _, r := range rs {
		var expires any
		if !r.ExpiresAt.IsZero() {
			expires = r.ExpiresAt
		}
		rows.AddRow(r.ID, r.ProductID, r.ProductName, r.Classification, r.AccessRole, r.Requester, string(r.Status),
			int64(r.CurrentStep), int64(r.StepCount), r.CreatedAt, r.UpdatedAt, int64(r.AskedDays), int64(r.DurationDays), expires)
	}
	return rows
}

// grantedAt is when the round trips' grants ran.
var grantedAt = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
