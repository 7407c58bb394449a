package view_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// BenchmarkRender renders the three busiest pages from fixed, realistic view
// data (no database): the first catalog page of 100 products
// (signoff.CatalogPageSize of them shown, with the facets of all), the queue with 50
// waiting steps (signoff.QueueLimit) and a request mid-chain with the
// decision form. It isolates the templ rendering cost that BenchmarkPage in
// internal/server measures together with the queries. Each page renders into
// one reused buffer, as the server's templ.Handler buffers a page before
// sending it (render in internal/server); SetBytes reports the page size, so
// MB/s is rendering throughput.
func BenchmarkRender(b *testing.B) {
	products := fixtureProducts(100)
	catalog := signoff.Catalog{Products: products[:signoff.CatalogPageSize], Matched: len(products),
		Total: len(products), Page: 1, Pages: (len(products) + signoff.CatalogPageSize - 1) / signoff.CatalogPageSize}
	for _, p := range products {
		catalog.Tags = append(catalog.Tags, p.Tags...)
		catalog.Classifications = append(catalog.Classifications, p.Classification)
	}
	slices.Sort(catalog.Tags)
	catalog.Tags = slices.Compact(catalog.Tags)
	slices.Sort(catalog.Classifications)
	catalog.Classifications = slices.Compact(catalog.Classifications)

	queue := signoff.Queue{Roles: []string{"LINE_MANAGER"}, Input: signoff.QueueInput{Sort: signoff.QueueOldest}} // MARCO's: step 1 of chains of two or more
	for i := 0; len(queue.Requests) < signoff.QueueLimit; i++ {
		if p := products[i%len(products)]; len(p.Chain) > 1 {
			queue.Requests = append(queue.Requests, fixtureRequest(i, p, 1))
			if !slices.ContainsFunc(queue.Products, func(q signoff.Product) bool { return q.ID == p.ID }) {
				queue.Products = append(queue.Products, p)
				queue.Classifications = append(queue.Classifications, p.Classification)
			}
		}
	}
	slices.Sort(queue.Classifications)
	queue.Classifications = slices.Compact(queue.Classifications)
	queue.Next = signoff.QueueKeyOf(queue.Requests[len(queue.Requests)-1], signoff.QueueOldest).String()

	p := products[3] // a four-step chain: the request waits at step 3 of 4, for DPO
	page := signoff.RequestPage{Request: fixtureRequest(7, p, 3), Product: p, DecideRole: "DPO"}
	for _, s := range page.Request.Steps[:2] {
		page.Events = append(page.Events, signoff.Event{Time: s.DecidedAt, Actor: s.DecidedBy,
			ActorRole: s.ActorRole, Type: signoff.EventStepApproved, Step: s.Order, Decision: s.Decision, Comment: s.Comment})
	}
	page.Events = slices.Insert(page.Events, 0, signoff.Event{Time: page.Request.CreatedAt,
		Actor: page.Request.Requester, Type: signoff.EventRequestSubmitted, Comment: page.Request.Reason})

	meta := func(title, nav, user string, roles ...string) view.Meta {
		return view.Meta{Title: title, Nav: nav, Viewer: signoff.NewIdentity(user, roles), Local: true,
			Engine: "sqlite", QueueCount: 12}
	}
	for _, c := range []struct {
		name string
		page templ.Component
		want string // what the page must show, so the fixture cannot silently render an empty state
	}{
		{"catalog", view.CatalogPage(meta("Catalog", "catalog", "GEN0001", "ANALYST"), catalog, signoff.ProductFilter{}),
			`data-testid="products"`},
		{"queue", view.QueuePage(meta("Approvals", "queue", "MARCO", "ANALYST", "LINE_MANAGER"), queue),
			`data-testid="queue-next"`},
		{"request", view.RequestPage(meta(p.Name, "queue", "DANA", "DPO"), page, view.DecisionForm{}),
			`data-testid="decision"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := c.page.Render(b.Context(), &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
			if !bytes.Contains(buf.Bytes(), []byte(c.want)) {
				b.Fatalf("the %s page lacks %s", c.name, c.want)
			}
		})
	}
}

// fixtureChain is the generated chains' shape: a one-step chain is the data
// owner alone; longer ones take the first two to four of these steps.
var fixtureChain = []signoff.ChainStep{
	{ApproverRole: "LINE_MANAGER", Label: "Line manager"},
	{ApproverRole: "DATA_OWNER_SALES", Label: "Data owner"},
	{ApproverRole: "DPO", Label: "Data protection"},
	{ApproverRole: "SECURITY_LEAD", Label: "Security"},
}

// fixtureProducts returns n catalog products with chains of one to four
// steps, two or three tags and a handful of columns, like the generated data.
func fixtureProducts(n int) []signoff.Product {
	domains := []string{"Sales", "Marketing", "Finance", "People"}
	classes := []string{"PUBLIC", "INTERNAL", "CONFIDENTIAL", "PII", "FINANCE"}
	ps := make([]signoff.Product, n)
	for i := range ps {
		d, steps := domains[i%len(domains)], 1+i%4
		chain := slices.Clone(fixtureChain[:steps])
		if steps == 1 {
			chain = slices.Clone(fixtureChain[1:2])
		}
		for s := range chain {
			chain[s].Order = s + 1
		}
		ps[i] = signoff.Product{
			ID: fmt.Sprintf("gen-product-%04d", i+1), Name: fmt.Sprintf("%s data set %04d", d, i+1),
			Description: fmt.Sprintf("Daily %s figures by region and team, refreshed every night at 02:00 UTC.", d),
			Owner:       "Olivia Chen (" + d + " operations)", OwnerRole: "DATA_OWNER_SALES", Domain: d,
			Classification: classes[i%len(classes)], Tags: []string{"generated", d, []string{"daily", "gdpr", "aggregated"}[i%3]},
			AccessRole: fmt.Sprintf("GEN_PRODUCT_%04d_READ", i+1), Chain: chain,
			Columns: []signoff.Column{{Name: "ID", Type: "VARCHAR"}, {Name: "CUSTOMER_EMAIL", Type: "VARCHAR", Description: "Contact address", Sensitive: true},
				{Name: "REGION", Type: "VARCHAR"}, {Name: "VALUE", Type: "NUMBER(12,2)", Description: "Net value in EUR"},
				{Name: "UPDATED_AT", Type: "TIMESTAMP_NTZ"}},
		}
	}
	return ps
}

// fixtureRequest returns request i for p, pending at step current (the
// steps before it approved by their personas).
func fixtureRequest(i int, p signoff.Product, current int) signoff.Request {
	created := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 97 * time.Minute)
	r := signoff.Request{
		ID: fmt.Sprintf("01K%023d", i), ProductID: p.ID, ProductName: p.Name, Classification: p.Classification,
		AccessRole: p.AccessRole, Requester: fmt.Sprintf("GEN%04d", 1+i%250),
		Reason: "Quarterly business review needs this data for the growth dashboard.",
		Status: signoff.StatusPending, CurrentStep: current, StepCount: len(p.Chain), CreatedAt: created, UpdatedAt: created,
	}
	deciders := map[string]string{"LINE_MANAGER": "MARCO", "DATA_OWNER_SALES": "OLIVIA", "DPO": "DANA", "SECURITY_LEAD": "SAM"}
	for _, c := range p.Chain {
		s := signoff.Step{Order: c.Order, Label: c.Label, ApproverRole: c.ApproverRole}
		if c.Order < current {
			r.UpdatedAt = r.UpdatedAt.Add(3 * time.Hour)
			s.Decision, s.DecidedBy, s.ActorRole, s.DecidedAt = signoff.DecisionApprove, deciders[c.ApproverRole], c.ApproverRole, r.UpdatedAt
			s.Comment = "Fine for the stated purpose."
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}
