package view

import "testing"

func TestValidBack(t *testing.T) {
	for _, ok := range []string{"/products/sales-orders/access", "/products/a.b_c~d-e/access"} {
		if !ValidBack(ok) {
			t.Errorf("ValidBack(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "/", "https://evil.example/products/x/access", "//evil.example/products/x/access",
		"/products/x/access?next=/", "/products/x/access#top", "/products//access", "/products/../access",
		"/products/./access", `/products/x\access`, "/products/x/access/", "/requests/x", " /products/x/access",
		"/products/x%2F..%2Fy/access"} {
		if ValidBack(bad) {
			t.Errorf("ValidBack(%q) = true", bad)
		}
	}
}
