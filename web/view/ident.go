package view

import (
	"context"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// IdentParts splits an identifier (a role, column or user name such as
// CUSTOMER_KEY or SALES_ORDERS_READ) after each underscore: the pieces
// between which a line may break. Joined, they are the identifier again.
func IdentParts(name string) []string {
	parts := strings.SplitAfter(name, "_")
	if n := len(parts); n > 1 && parts[n-1] == "" { // a trailing underscore
		parts = parts[:n-1]
	}
	return parts
}

// identPieces writes name's IdentParts, each escaped, with a <wbr> between
// each two. It is plain Go rather than templ because templ puts a space
// between a loop's text and elements, and an identifier must show exactly
// as it is; and because identifiers fill the long pages' rows (see badge).
func identPieces(name string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range IdentParts(name) {
			if i > 0 {
				if _, err := io.WriteString(w, "<wbr>"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(w, html.EscapeString(part)); err != nil {
				return err
			}
		}
		return nil
	})
}
