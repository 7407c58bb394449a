package snowflake

import (
	"context"
	"fmt"

	"github.com/signoff/signoff/internal/signoff"
)

// AccessUsageQuery reads the access reviews' record of use as the review
// page does, at most one row of it, and counts the products that name the
// object whose use counts (DATA_PRODUCT.OBJECT_NAME).
const AccessUsageQuery = `SELECT (SELECT COUNT(*) FROM data_product WHERE object_name IS NOT NULL),
  (SELECT COUNT(*) FROM (SELECT 1 FROM access_usage LIMIT 1))`

// accessUsageCheck reads SIGNOFF.API.ACCESS_USAGE on the service's
// connection: a view over SIGNOFF.MAIN.ACCESS_USAGE, itself over
// SNOWFLAKE.ACCOUNT_USAGE.ACCESS_HISTORY, which its owner reads through the
// SNOWFLAKE database role GOVERNANCE_VIEWER
// (DOCS/sql-reference/snowflake-db-roles) on Enterprise Edition. The grants
// checks see the grant; this one, the read.
func (d *Doctor) accessUsageCheck(ctx context.Context) signoff.Check {
	c := signoff.Check{Name: "Grants' last use (ACCESS_USAGE)"}
	var products, rows int64
	if err := d.store.db.QueryRowContext(ctx, AccessUsageQuery).Scan(&products, &rows); err != nil {
		c.Status, c.Detail = signoff.CheckFail, translate(err).Error()
		c.Fix = "SIGNOFF_APP reads SIGNOFF.API.ACCESS_USAGE (02_grants.sql), whose owner SIGNOFF_OWNER reads " +
			"ACCOUNT_USAGE.ACCESS_HISTORY through SNOWFLAKE.GOVERNANCE_VIEWER (02_grants.sql); ACCESS_HISTORY needs " +
			"Enterprise Edition. Until it reads, access review pages cannot be shown."
		return c
	}
	switch {
	case products == 0:
		c.Status = signoff.CheckWarn
		c.Detail = "Readable, but no data product names the object its access role gives (DATA_PRODUCT.OBJECT_NAME): " +
			"access reviews will say that the grants' use is unknown."
		c.Fix = "Set OBJECT_NAME to the table or view each product's access role reads, as ACCESS_HISTORY names it " +
			"(\"DB.SCHEMA.TABLE\")."
	case rows == 0:
		c.Status = signoff.CheckWarn
		c.Detail = fmt.Sprintf("Readable, but no use of the %d products that name an object is recorded yet.", products)
		c.Fix = "ACCESS_HISTORY is up to three hours behind. If queries ran before that, check that OBJECT_NAME spells " +
			"each object as ACCESS_HISTORY does (\"DB.SCHEMA.TABLE\", upper case unless quoted)."
	default:
		c.Status = signoff.CheckPass
		c.Detail = fmt.Sprintf("Readable: %d products name their object, and use of them is recorded.", products)
	}
	return c
}
