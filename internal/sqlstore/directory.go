package sqlstore

import (
	"context"
	"strconv"

	"github.com/signoff/signoff/internal/signoff"
)

// The directory (docs/design.md, "Manager steps"): who each user's manager
// is, for MANAGER chain steps. Its writes are shared statements like the
// actions': the embedded engine runs them in a SQLite transaction
// (internal/sqlite), Snowflake's SET_MANAGERS procedure embeds them
// (03_api.sql). One entry at a time, in order, in one transaction: the
// check, then the row replaced, then its DIRECTORY_CHANGED event (no
// request; the user in its comment, the new manager in its details, none
// when the manager was removed), which the verifier holds the row to.

// maxNameLength is signoff.MaxUserNameLength as SQL text.
var maxNameLength = strconv.Itoa(signoff.MaxUserNameLength)

// CheckSetManager decides whether :actor may make :manager_name the manager
// of :user_name (an empty :manager_name removes the user's manager): admins only (:is_admin,
// from the caller's session); names of 1 to signoff.MaxUserNameLength
// characters without leading or trailing blanks; nobody their own manager
// (SELF_MANAGER), and no two people each other's (MANAGER_CYCLE). changed
// is 0 when the directory says so already: nothing is written then.
// :line_no is the entry's place in the call, for the refusal's message.
var CheckSetManager = `
WITH cur AS (SELECT COUNT(*) AS n, MAX(manager_name) AS manager_name
             FROM main.user_manager WHERE user_name = :user_name),
     back AS (SELECT COUNT(*) AS n FROM main.user_manager
              WHERE user_name = :manager_name AND manager_name = :user_name),
     v AS (SELECT CASE WHEN COALESCE(:user_name, '') = '' OR LENGTH(:user_name) > ` + maxNameLength + `
                            OR :user_name <> ` + Trim(":user_name") + ` THEN 'user_name'
                       WHEN :manager_name IS NULL OR LENGTH(:manager_name) > ` + maxNameLength + `
                            OR :manager_name <> ` + Trim(":manager_name") + ` THEN 'manager_name'
                       ELSE '' END AS field)
SELECT CASE
           ` + identityUnavailable + `
           WHEN NOT :is_admin THEN 'NOT_ADMIN'
           WHEN v.field <> '' THEN 'INVALID'
           WHEN :manager_name = :user_name THEN 'SELF_MANAGER'
           WHEN :manager_name <> '' AND back.n > 0 THEN 'MANAGER_CYCLE'
           ELSE 'OK'
       END AS code,
       NULLIF(v.field, '') AS field, :actor AS actor, :user_name AS user_name, :manager_name AS manager_name,
       :line_no AS line,
       CASE WHEN cur.n = 1 AND cur.manager_name = :manager_name OR cur.n = 0 AND :manager_name = '' THEN 0
            ELSE 1 END AS changed
FROM cur CROSS JOIN back CROSS JOIN v`

// DeleteManager removes :user_name's directory rows (every one: standard
// tables enforce no key) before InsertManager writes the new one.
const DeleteManager = `DELETE FROM main.user_manager WHERE user_name = :user_name`

// InsertManager records :manager_name as :user_name's manager, by :actor;
// nothing when the manager was removed (an empty :manager_name).
const InsertManager = `
INSERT INTO main.user_manager (user_name, manager_name, updated_at, updated_by)
SELECT :user_name, :manager_name, :now_ts, :actor WHERE :manager_name <> ''`

// SelectManagerOf reads one user's manager ("" for none; the greatest, if
// corrupt data gives them several, which the verifier reports).
const SelectManagerOf = `SELECT COALESCE(MAX(manager_name), '') FROM user_manager WHERE user_name = ?`

// SelectDirectory lists the directory, by user, at most limit rows, those
// whose user or manager contains the filter (any case) when it is not
// empty.
func SelectDirectory(filtered bool, n int) string {
	where := ""
	if filtered {
		where = "\nWHERE LOWER(user_name) LIKE LOWER(?) ESCAPE '" + likeEscape + "' OR LOWER(manager_name) LIKE LOWER(?) ESCAPE '" + likeEscape + "'"
	}
	return `SELECT user_name, manager_name, updated_at, updated_by FROM user_manager` + where +
		"\nORDER BY user_name, manager_name" + limit(n)
}

// ManagerOf returns user's manager in the directory, "" if none.
func (s *Store) ManagerOf(ctx context.Context, user string) (string, error) {
	var m string
	if err := scanOne(ctx, s.q, SelectManagerOf, []any{user}, &m); err != nil {
		return "", s.errorf(err, "manager of %s", user)
	}
	return m, nil
}

// ManagerEntries lists the directory's entries matching filter, by user, at
// most n.
func (s *Store) ManagerEntries(ctx context.Context, filter string, n int) ([]signoff.DirectoryEntry, error) {
	var args []any
	if filter != "" {
		args = append(args, likePattern(filter), likePattern(filter))
	}
	rows, err := s.q.QueryContext(ctx, SelectDirectory(filter != "", n), args...)
	if err != nil {
		return nil, s.errorf(err, "directory")
	}
	defer rows.Close()
	var out []signoff.DirectoryEntry
	for rows.Next() {
		var e signoff.DirectoryEntry
		if err := rows.Scan(&e.User, &e.Manager, &e.UpdatedAt, &e.UpdatedBy); err != nil {
			return nil, s.errorf(err, "directory")
		}
		e.UpdatedAt = e.UpdatedAt.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf(err, "directory")
	}
	return out, nil
}
