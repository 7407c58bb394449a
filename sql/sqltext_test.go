package sqlfiles_test

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	sqlfiles "github.com/signoff/signoff/sql"
)

// statement is one statement of a Snowflake script, as the tests see it.
type statement struct {
	// text is the statement without comments, with each $$ body replaced by
	// $$BODY$$ and whitespace normalised (single spaces, none inside
	// parentheses, ", " between list items), without its ';'.
	text string
	// upper is text in upper case, for matching.
	upper string
	// bodies are the $$-quoted bodies, verbatim.
	bodies []string
	// line is the 1-based line on which the statement starts.
	line int
}

// bodyPlaceholder stands for a $$ body in statement.text.
const bodyPlaceholder = "$$BODY$$"

// splitScript splits a Snowflake script into statements. It understands
// what the project's scripts use: -- and /* */ comments, single-quoted
// strings (with ” and backslash escapes) and $$-quoted bodies. Every
// statement must end with ';' outside strings and bodies: text after the last
// ';' (other than comments and whitespace) is an error, and so is an empty
// statement.
func splitScript(src string) ([]statement, error) {
	var (
		out    []statement
		cur    strings.Builder
		bodies []string
		line   = 1
		start  = 0 // line of the current statement's first token; 0: none yet
	)
	mark := func() {
		if start == 0 {
			start = line
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case strings.HasPrefix(src[i:], "--"):
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			i += j
			cur.WriteByte(' ')
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
			line += strings.Count(src[i:i+2+j+2], "\n")
			i += 2 + j + 2
			cur.WriteByte(' ')
		case c == '\'':
			mark()
			j := i + 1
			for ; j < len(src); j++ {
				if src[j] == '\\' {
					j++
					continue
				}
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated string literal", line)
			}
			cur.WriteString(src[i : j+1])
			line += strings.Count(src[i:j+1], "\n")
			i = j + 1
		case strings.HasPrefix(src[i:], "$$"):
			mark()
			j := strings.Index(src[i+2:], "$$")
			if j < 0 {
				return nil, fmt.Errorf("line %d: unterminated $$ body", line)
			}
			body := src[i+2 : i+2+j]
			bodies = append(bodies, body)
			cur.WriteString(" " + bodyPlaceholder + " ")
			line += strings.Count(body, "\n")
			i += 2 + j + 2
		case c == ';':
			text := normalize(cur.String())
			if text == "" {
				return nil, fmt.Errorf("line %d: empty statement", line)
			}
			out = append(out, statement{text: text, upper: strings.ToUpper(text), bodies: bodies, line: start})
			cur.Reset()
			bodies, start = nil, 0
			i++
		default:
			if c == '\n' {
				line++
			} else if c != ' ' && c != '\t' && c != '\r' {
				mark()
			}
			cur.WriteByte(c)
			i++
		}
	}
	if rest := normalize(cur.String()); rest != "" {
		return nil, fmt.Errorf("line %d: statement not terminated by ';': %.60s", start, rest)
	}
	return out, nil
}

var (
	spaces      = regexp.MustCompile(`\s+`)
	openParen   = regexp.MustCompile(`\(\s+`)
	closeParen  = regexp.MustCompile(`\s+\)`)
	commaSpaced = regexp.MustCompile(`\s*,\s*`)
)

func normalize(s string) string {
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	s = openParen.ReplaceAllString(s, "(")
	s = closeParen.ReplaceAllString(s, ")")
	return commaSpaced.ReplaceAllString(s, ", ")
}

// stripSQLBody returns a Snowflake Scripting body with its comments removed
// and every string literal emptied (”), so that what remains is code.
func stripSQLBody(body string) string {
	var b strings.Builder
	for i := 0; i < len(body); {
		switch {
		case strings.HasPrefix(body[i:], "--"):
			j := strings.IndexByte(body[i:], '\n')
			if j < 0 {
				j = len(body) - i
			}
			i += j
		case strings.HasPrefix(body[i:], "/*"):
			j := strings.Index(body[i+2:], "*/")
			if j < 0 {
				j = len(body) - i - 4
			}
			i += 2 + j + 2
			b.WriteByte(' ')
		case body[i] == '\'':
			j := i + 1
			for ; j < len(body); j++ {
				if body[j] == '\\' {
					j++
					continue
				}
				if body[j] == '\'' {
					if j+1 < len(body) && body[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			b.WriteString("''")
			i = j + 1
		default:
			b.WriteByte(body[i])
			i++
		}
	}
	return b.String()
}

// script reads and splits one of the embedded Snowflake scripts.
func script(t *testing.T, name string) []statement {
	t.Helper()
	src, err := fs.ReadFile(sqlfiles.FS, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	stmts, err := splitScript(string(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return stmts
}

func TestSplitScript(t *testing.T) {
	got, err := splitScript(`-- a comment; with a semicolon
USE ROLE  SYSADMIN ;
CREATE OR REPLACE PROCEDURE P( A VARCHAR ,B NUMBER )
RETURNS VARCHAR LANGUAGE SQL AS
$$
BEGIN RETURN 'x;y'; END;
$$;
/* block; comment */ GRANT SELECT ON TABLE T TO ROLE 'it''s;' ;
SELECT 'back\'slash;';
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []statement{
		{text: "USE ROLE SYSADMIN", line: 2},
		{text: "CREATE OR REPLACE PROCEDURE P(A VARCHAR, B NUMBER) RETURNS VARCHAR LANGUAGE SQL AS $$BODY$$",
			bodies: []string{"\nBEGIN RETURN 'x;y'; END;\n"}, line: 3},
		{text: "GRANT SELECT ON TABLE T TO ROLE 'it''s;'", line: 8},
		{text: `SELECT 'back\'slash;'`, line: 9},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d statements, want %d: %#v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].text != want[i].text || got[i].line != want[i].line ||
			strings.Join(got[i].bodies, "|") != strings.Join(want[i].bodies, "|") {
			t.Errorf("statement %d = %q (line %d, bodies %q), want %q (line %d, bodies %q)", i,
				got[i].text, got[i].line, got[i].bodies, want[i].text, want[i].line, want[i].bodies)
		}
	}

	for _, bad := range []string{
		"USE ROLE SYSADMIN",                    // no ';'
		"USE ROLE SYSADMIN;\nGRANT X ON Y",     // last one unterminated
		"CREATE PROCEDURE P() AS $$ BEGIN END", // unterminated body
		"SELECT 'oops;",                        // unterminated string
		"USE ROLE X;;",                         // empty statement
	} {
		if _, err := splitScript(bad); err == nil {
			t.Errorf("splitScript(%q) succeeded, want an error", bad)
		}
	}
}

func TestStripSQLBody(t *testing.T) {
	got := stripSQLBody("x := 'GRANT ROLE ' || r; -- GRANT ROLE in a comment\nGRANT ROLE IDENTIFIER(:r) TO USER IDENTIFIER(:u); y := 'it''s';")
	want := "x := '' || r; \nGRANT ROLE IDENTIFIER(:r) TO USER IDENTIFIER(:u); y := '';"
	if got != want {
		t.Errorf("stripSQLBody = %q, want %q", got, want)
	}
}

// qualifyProblem reports a QUALIFY clause whose SELECT has no window
// function: Snowflake refuses it ("QUALIFY needs a window function in the
// same SELECT", DOCS/sql-reference/constructs/qualify); a window function in
// a CTE or a subquery does not count. It returns "" when every QUALIFY is
// fine.
func qualifyProblem(text string) string {
	code := strings.ToUpper(stripSQLBody(text))
	for at := 0; ; {
		q := strings.Index(code[at:], "QUALIFY")
		if q < 0 {
			return ""
		}
		q += at
		// The SELECT the QUALIFY belongs to: the nearest one before it at
		// the same parenthesis depth.
		depth, start := 0, -1
		for i := q - 1; i >= 0; i-- {
			switch code[i] {
			case ')':
				depth++
			case '(':
				depth--
			}
			if depth == 0 && strings.HasPrefix(code[i:], "SELECT") {
				start = i
				break
			}
			if depth < 0 {
				break
			}
		}
		// Its end: the QUALIFY predicate runs to the end of the SELECT.
		end, d := len(code), 0
		for i := q; i < len(code); i++ {
			if code[i] == '(' {
				d++
			} else if code[i] == ')' {
				if d == 0 {
					end = i
					break
				}
				d--
			}
			if d == 0 && (strings.HasPrefix(code[i:], " UNION ") || strings.HasPrefix(code[i:], " ORDER BY")) {
				end = i
				break
			}
		}
		if start < 0 || !strings.Contains(topLevel(code[start:end]), "OVER (") {
			return "QUALIFY without a window function in its own SELECT: " + strings.Join(strings.Fields(code[max(start, 0):min(end, q+60)]), " ")
		}
		at = q + len("QUALIFY")
	}
}

// topLevel returns s with the insides of its parentheses removed, except
// the parentheses right after OVER (a window function's own clause).
func topLevel(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '(' && depth == 0 && strings.HasSuffix(strings.TrimRight(s[:i], " "), "OVER"):
			b.WriteString("(")
			depth = -1 // inside OVER (...): kept, closed below
		case s[i] == ')' && depth == -1:
			b.WriteString(")")
			depth = 0
		case s[i] == '(' && depth >= 0:
			depth++
		case s[i] == ')' && depth > 0:
			depth--
		case depth == 0 || depth == -1:
			b.WriteByte(s[i])
		}
	}
	return strings.ReplaceAll(b.String(), "OVER(", "OVER (")
}

func TestQualifyHasAWindowFunction(t *testing.T) {
	// The review's bug (the old 04_verify_audit.sql): the window functions
	// were in the CTE, the QUALIFY in the outer SELECT.
	bad := `WITH chain AS (SELECT a.*, LAG(SEQ) OVER (PARTITION BY R ORDER BY SEQ) AS PREV_SEQ FROM T a)
SELECT R, CASE WHEN SEQ > PREV_SEQ + 1 THEN 'missing' END AS PROBLEM FROM chain QUALIFY PROBLEM IS NOT NULL
UNION ALL SELECT 1, 2`
	if qualifyProblem(bad) == "" {
		t.Error("the old verify script's QUALIFY is not caught")
	}
	good := `SELECT R, ROW_NUMBER() OVER (PARTITION BY R ORDER BY S) AS N FROM T QUALIFY N = 1`
	if p := qualifyProblem(good); p != "" {
		t.Errorf("a QUALIFY on its own SELECT's window function is refused: %s", p)
	}
	inPredicate := `SELECT R FROM T QUALIFY ROW_NUMBER() OVER (PARTITION BY R ORDER BY S) = 1`
	if p := qualifyProblem(inPredicate); p != "" {
		t.Errorf("a window function in the QUALIFY predicate is refused: %s", p)
	}
	files, err := fs.Glob(sqlfiles.FS, "snowflake/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, st := range script(t, f) {
			text := st.text
			for _, body := range st.bodies {
				text += " " + body
			}
			if p := qualifyProblem(text); p != "" {
				t.Errorf("%s:%d: %s", f, st.line, p)
			}
		}
	}
}
