package demo

import (
	"context"

	"github.com/signoff/signoff/internal/signoff"
)

// ObjectAccount is what "Read from Snowflake" needs of the demo account:
// a record of its objects' columns and tags, which on Snowflake are the
// account's own metadata. The embedded engine's *sqlite.Store implements
// it.
type ObjectAccount interface {
	RecordObject(ctx context.Context, m signoff.ObjectMetadata) error
}

// governance is the demo account's tag library, GOVERNANCE.TAGS.
func governance(level, column, name, value string) signoff.TagReference {
	return signoff.TagReference{Level: level, Column: column, Database: "GOVERNANCE", Schema: "TAGS", Name: name, Value: value}
}

// Objects are the demo account's Snowflake objects: accounts-payable
// invoices, which no product offers yet (an admin registers one by reading
// it: its schema's CLASSIFICATION tag, its database's domain, its SOX tag,
// and a bank-account column tagged PII and classified by Snowflake as
// sensitive), and the order lines behind Sales orders.
var Objects = []signoff.ObjectMetadata{
	{
		Object: "FINANCE.AP.INVOICES",
		Columns: []signoff.ObjectColumn{
			{Name: "INVOICE_ID", Type: "TEXT", Comment: "Supplier's invoice number"},
			{Name: "SUPPLIER_ID", Type: "TEXT"},
			{Name: "SUPPLIER_NAME", Type: "TEXT"},
			{Name: "SUPPLIER_IBAN", Type: "TEXT", Comment: "Bank account the invoice is paid to"},
			{Name: "AMOUNT_EUR", Type: "NUMBER"},
			{Name: "DUE_DATE", Type: "DATE"},
			{Name: "APPROVED_AT", Type: "TIMESTAMP_NTZ"},
		},
		Tags: []signoff.TagReference{
			governance(signoff.LevelTable, "", "SOX", "in_scope"),
			governance(signoff.LevelSchema, "", "CLASSIFICATION", "confidential"),
			governance(signoff.LevelDatabase, "", "DOMAIN", "finance"),
			governance(signoff.LevelColumn, "SUPPLIER_IBAN", "PII", "bank_account"),
			{Level: signoff.LevelColumn, Column: "SUPPLIER_IBAN", Database: "SNOWFLAKE", Schema: "CORE", Name: "PRIVACY_CATEGORY", Value: "SENSITIVE"},
		},
	},
	{
		Object: "SALES.CORE.ORDER_LINES",
		Columns: []signoff.ObjectColumn{
			{Name: "ORDER_ID", Type: "TEXT"},
			{Name: "LINE_NO", Type: "NUMBER"},
			{Name: "CUSTOMER_KEY", Type: "TEXT"},
			{Name: "SKU", Type: "TEXT", Comment: "Stock-keeping unit"},
			{Name: "QUANTITY", Type: "NUMBER"},
			{Name: "NET_AMOUNT_EUR", Type: "NUMBER"},
			{Name: "ORDERED_AT", Type: "TIMESTAMP_NTZ"},
		},
		Tags: []signoff.TagReference{
			governance(signoff.LevelDatabase, "", "DOMAIN", "sales"),
		},
	},
}

// recordObjects records the demo's objects, where the account keeps any.
func recordObjects(ctx context.Context, acct Account) error {
	oa, ok := acct.(ObjectAccount)
	if !ok {
		return nil
	}
	for _, m := range Objects {
		if err := oa.RecordObject(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
