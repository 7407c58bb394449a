package view

// The templ components (*.templ) are compiled into *_templ.go by
// go generate ./... ("make generate"), with two flags:
//
//   - -path ../..: templ runs from the module root because the generated
//     code names each source by its path from where templ ran (templ.Error's
//     FileName); from here they would read "misc.templ", not
//     "web/view/misc.templ".
//   - -keep-orphaned-files: templ would otherwise delete a *_templ.go whose
//     .templ is gone, in the middle of go generate, which then fails to read
//     the file it listed. "make check-generated" reports such orphans, to be
//     deleted by hand.
//
//go:generate go tool templ generate -path ../.. -keep-orphaned-files
