package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/signoff/signoff/internal/demo"
	"github.com/signoff/signoff/internal/digestfile"
	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/internal/sqlite"
)

// FuzzTamperedLedgerIsReported holds the verifier (sqlstore.VerifyLedger) to
// its promise: any change to a stored value of the audit log, of a request
// row or of a step row is reported, unless it provably changes nothing the
// log claims (tamperTables says what is the same claim). Each input is one
// tampering, applied with plain SQL as someone who owns the database file
// could: a byte of a value flipped, replaced, inserted or deleted, a number
// changed, a value set to NULL or stored as a BLOB, a row deleted or
// duplicated (as it is, or with one value edited), or a value swapped
// with, or copied from, another row's. The database was written by the
// real workflow and is checked against two digests, in either of two
// schemas: as the app created it (keys, references and checks enforced:
// what they refuse is counted, not verified) or as Snowflake would hold
// it (only NOT NULL enforced). Run it with
//
//	go test -run '^$' -fuzz '^FuzzTamperedLedgerIsReported$' -fuzztime 60s -parallel 1 ./internal/sqlite
//
// With SIGNOFF_FUZZ_TALLY set to a directory, each process appends one line
// per input there (outcome, table, column, mutation, schema, microseconds),
// for counting what a fuzzing run did.
func FuzzTamperedLedgerIsReported(f *testing.F) {
	fx := newTamperFixture(f)

	// Every table, every mutation, both schemas, on columns and rows that
	// vary with the mutation, so that the seeds alone take every branch.
	for relaxed := range 2 {
		for table := range len(tamperTables) {
			for kind := range tamperKinds {
				column := (int(kind)*5 + table*3) % len(tamperTables[table].columns)
				row := (int(kind)*7 + table + relaxed) % len(fx.rowids[table])
				f.Add(relaxed == 1, uint8(table), uint8(column), uint8(kind), uint16(row), uint16(row+3), uint16(5), byte('7'), int64(1))
			}
		}
	}
	for _, c := range tamperCases {
		table, column := c.indexes()
		f.Add(c.relaxed, table, column, uint8(c.kind), uint16(c.row), uint16(c.other), uint16(c.at), c.b, c.n)
	}

	tally := newTamperTally(f)
	f.Fuzz(func(t *testing.T, relaxed bool, table, column, kind uint8, row, other, at uint16, b byte, n int64) {
		m := fx.mutation(relaxed, table, column, kind, row, other, at, b, n)
		start := time.Now()
		out := fx.try(t, m)
		tally.add(t, m, out, time.Since(start))
	})
}

// tamperCase is a fuzz input with a name and the outcome it must have.
type tamperCase struct {
	name           string
	want           tamperOutcome
	relaxed        bool
	table, column  string
	kind           tamperKind
	row, other, at int
	b              byte
	n              int64
}

// tamperCases are inputs whose outcome is known, seeds of the fuzz target
// too: the changes that went unreported until they were fixed (the first
// four found by fuzzing, the other three by asking what else SQLite keeps
// in a column), and one or more of every other outcome, so that the
// comparison rules are seen to hold both ways. Rows count from 0 in rowid
// order; the events are in the order playTamperStory wrote them.
var tamperCases = []tamperCase{
	// Unreported until fixed.
	{"a request stored twice (Snowflake enforces no key)", outcomeReported, true, "access_request", "request_id",
		duplicateRow, 6, 0, 0, 0, 0},
	{"step rows of a request that does not exist", outcomeReported, false, "request_step", "request_id",
		duplicateEdited, 19, 0, 5, 0x84, 0},
	{"text in an event's seq (the verifier failed instead of reporting it)", outcomeReported, false, "audit_log", "seq",
		flipBit, 17, 0, 5, '_', 0},
	{"'' in the step_order of an event without a step (it hashed as NULL)", outcomeReported, false, "audit_log", "step_order",
		replaceByte, 3, 0, 4, ' ', 0},
	{"a middle event's time moved by 500 ns (it hashed to the microsecond)", outcomeReported, false, "audit_log", "event_time",
		insertByte, 7, 0, 26, '5', 0},
	{"an event's actor stored as a BLOB (it hashed as its bytes)", outcomeReported, false, "audit_log", "actor",
		storeBlob, 7, 0, 0, 0, 0},
	{"a pending step's role stored as a BLOB (it matches no role)", outcomeReported, false, "request_step", "approver_role",
		storeBlob, 18, 0, 0, 0, 0},

	// Reported.
	{"a rejection's comment edited", outcomeReported, false, "audit_log", "comment", replaceByte, 19, 0, 3, '!', 0},
	{"a length in a submission's chain snapshot", outcomeReported, false, "audit_log", "details", addNumber, 0, 0, 0, 0, -1},
	{"an event's time moved by a microsecond", outcomeReported, false, "audit_log", "event_time", addNumber, 7, 0, 0, 0, 1},
	{"the last event deleted", outcomeReported, false, "audit_log", "event_id", deleteRow, 50, 0, 0, 0, 0},
	{"a decided step's decider cleared", outcomeReported, false, "request_step", "decided_by", setNull, 0, 0, 0, 0, 0},
	{"a pending step's role copied from another step", outcomeReported, false, "request_step", "approver_role",
		copyValue, 18, 0, 0, 0, 0},
	// The lifecycle's columns (issue 12): access kept longer, a duration
	// lengthened, an escalation undone, a deadline or fallback changed.
	{"a time-bound grant's end moved later", outcomeReported, false, "access_request", "expires_at", addNumber, 2, 0, 0, 0, 3600},
	{"an approved duration lengthened", outcomeReported, false, "access_request", "duration_days", addNumber, 2, 0, 0, 0, 60},
	{"the duration asked changed", outcomeReported, false, "access_request", "asked_days", addNumber, 2, 0, 0, 0, 1},
	{"an escalation undone", outcomeReported, false, "request_step", "escalated_to", setNull, 15, 0, 0, 0, 0},
	{"a step's deadline changed", outcomeReported, false, "request_step", "deadline_hours", addNumber, 16, 0, 0, 0, 24},
	{"a step's fallback role cleared before it escalated", outcomeReported, false, "request_step", "fallback_role",
		setNull, 17, 0, 0, 0, 0},
	{"two requests' statuses swapped", outcomeReported, true, "access_request", "status", swapValues, 0, 7, 0, 0, 0},
	{"a status no request can have", outcomeReported, true, "access_request", "status", flipBit, 0, 0, 0, 0, 0},

	// Refused by the database as the app created it.
	{"an event duplicated (its key)", outcomeRefused, false, "audit_log", "event_id", duplicateRow, 3, 0, 0, 0, 0},
	{"a status no request can have (the CHECK)", outcomeRefused, false, "access_request", "status", flipBit, 0, 0, 0, 0, 0},
	{"a request's product cleared (NOT NULL)", outcomeRefused, true, "access_request", "product_id", setNull, 0, 0, 0, 0, 0},

	// The same claims, spelt otherwise.
	// The demo's first requests' event follows its directory changes, so
	// its prev_hash is not empty: NULL is another claim (the ledger's first
	// event, whose empty prev_hash NULL spells alike, is a directory change:
	// manager_tamper_test.go).
	{"the first request event's prev_hash set NULL", outcomeReported, false, "audit_log", "prev_hash", setNull, 0, 0, 0, 0, 0},
	{"step 0 for an event without a step", outcomeUnchanged, false, "audit_log", "step_order", addNumber, 3, 0, 0, 0, 0},
	{"a trailing zero dropped from a middle event's time", outcomeUnchanged, false, "audit_log", "event_time",
		deleteByte, 7, 0, 25, 0, 0},
	{"'' for an undecided step's comment", outcomeUnchanged, false, "request_step", "comment", deleteByte, 6, 0, 0, 0, 0},
	{"two equal statuses swapped", outcomeUnchanged, false, "access_request", "status", swapValues, 4, 6, 0, 0, 0},
	{"a request's time spelt without a trailing zero, compared as text", outcomeOverReach, false, "access_request",
		"created_at", deleteByte, 0, 0, 25, 0, 0},
}

// TestTamperedLedgerCases checks each of tamperCases for its outcome.
func TestTamperedLedgerCases(t *testing.T) {
	fx := newTamperFixture(t)
	// The events the cases name by their row.
	for row, typ := range map[int]signoff.EventType{3: signoff.EventAccessGranted, 7: signoff.EventAccessGranted,
		19: signoff.EventStepRejected, 50: signoff.EventStepRejected} {
		var got signoff.EventType
		require.NoError(t, fx.schemas[0].attacker.QueryRowContext(t.Context(), `SELECT event_type FROM audit_log WHERE rowid = ?`,
			fx.rowids[0][row]).Scan(&got))
		require.Equal(t, typ, got, "event %d", row)
	}
	for _, c := range tamperCases {
		t.Run(c.name, func(t *testing.T) {
			table, column := c.indexes()
			m := fx.mutation(c.relaxed, table, column, uint8(c.kind), uint16(c.row), uint16(c.other), uint16(c.at), c.b, c.n)
			assert.Equal(t, c.want, fx.try(t, m), "%s", m)
		})
	}
}

// columnRule is how the fuzzer compares a column's values before and after a
// mutation: which stored values are the same claim.
type columnRule int

const (
	exact       columnRule = iota // the same storage class and the same bytes
	emptyIsNull                   // as exact, but NULL and '' are one value
	zeroIsNull                    // as exact, but NULL and 0 are one value
	instant                       // the same instant, however it is spelt; otherwise as exact
)

type tamperColumn struct {
	name string
	rule columnRule
}

type tamperTable struct {
	name    string
	columns []tamperColumn
}

// tamperTables are the tables the verifier speaks for, with every column in
// the schema's order (the fixture fails if the schema has another), and how
// each is compared. Every column is claimed; the rules that are not exact
// only say which stored values are the same claim, for the reasons below.
// Changes between such values go unreported, so each is a finding in its
// own right:
//
//   - An event's NULL and empty text are one value, and so are its step
//     NULL and 0: the hash reads NULL as empty (signoff.Event has no NULL;
//     Snowflake's AUDIT_HASH and the embedded engine's twin read it so), the
//     writer stores empty text and step 0 as NULL (sqlstore.AppendEvent),
//     and every read of the log turns NULL back into "" or 0. Nothing but
//     SQL's IS NULL tells them apart.
//   - A step row's decision, decider, acting role and comment: NULL and
//     empty text are one value, as every read of the steps (COALESCE,
//     sql.NullString) and the verifier read them.
//   - A time is an instant: the hash reads an event's time as one (UTC, to
//     the microsecond), and Snowflake stores TIMESTAMP_NTZ, which has no
//     spelling. On SQLite the text is what is stored, so the same instant
//     spelt otherwise (a trailing zero of the fraction dropped, "+00:00"
//     for "Z") is the same claim; another instant, even a nanosecond away,
//     is not. (The verifier compares a request's and a step's times with
//     the events' as text, so it reports those respellings anyway.)
var tamperTables = []tamperTable{
	{"audit_log", []tamperColumn{
		{"event_id", exact}, {"event_time", instant}, {"request_id", emptyIsNull}, {"product_id", emptyIsNull},
		{"actor", exact}, {"actor_role", emptyIsNull}, {"event_type", exact}, {"step_order", zeroIsNull},
		{"decision", emptyIsNull}, {"comment", emptyIsNull}, {"details", emptyIsNull}, {"seq", exact},
		{"prev_hash", emptyIsNull}, {"hash", exact},
	}},
	{"access_request", []tamperColumn{
		{"request_id", exact}, {"product_id", exact}, {"requester", exact}, {"business_reason", exact},
		{"status", exact}, {"current_step", exact}, {"step_count", exact}, {"created_at", instant},
		{"updated_at", instant}, {"asked_days", exact}, {"duration_days", exact}, {"expires_at", instant},
		{"extends_request_id", emptyIsNull},
	}},
	{"request_step", []tamperColumn{
		{"request_id", exact}, {"step_order", exact}, {"step_label", exact}, {"approver_role", exact},
		{"decision", emptyIsNull}, {"decided_by", emptyIsNull}, {"acting_role", emptyIsNull},
		{"comment", emptyIsNull}, {"decided_at", instant}, {"deadline_hours", zeroIsNull},
		{"fallback_role", emptyIsNull}, {"escalated_to", emptyIsNull}, {"approved_days", zeroIsNull},
		{"approver_user", emptyIsNull},
	}},
}

// indexes finds a tamperCases entry's table and column in tamperTables.
func (c tamperCase) indexes() (table, column uint8) {
	for ti, t := range tamperTables {
		if t.name != c.table {
			continue
		}
		for ci, col := range t.columns {
			if col.name == c.column {
				return uint8(ti), uint8(ci)
			}
		}
	}
	panic("no column " + c.table + "." + c.column)
}

// tamperKind is a kind of mutation.
type tamperKind uint8

const (
	flipBit         tamperKind = iota // flip bit b%8 of the value's byte at
	replaceByte                       // replace the byte at with b
	insertByte                        // insert b before the byte at
	deleteByte                        // delete the byte at
	addNumber                         // add n: to a number, to a time (microseconds), or to a run of digits in text
	setNull                           // set the value to NULL
	deleteRow                         // delete the row
	duplicateRow                      // insert a copy of the row
	duplicateEdited                   // insert a copy of the row with its value edited (insertByte, or addNumber for numbers and times)
	swapValues                        // swap the value with the other row's
	copyValue                         // set the value to the other row's
	storeBlob                         // store the value's bytes as a BLOB (SQLite keeps any type in any column)
	tamperKinds
)

var tamperKindNames = [tamperKinds]string{"flip a bit", "replace a byte", "insert a byte", "delete a byte",
	"add a number", "set NULL", "delete the row", "duplicate the row", "duplicate the row, edited",
	"swap with another row", "copy from another row", "store as a BLOB"}

func (k tamperKind) String() string { return tamperKindNames[k] }

// tamperMutation is one fuzz input, resolved against the fixture.
type tamperMutation struct {
	relaxed    bool // the Snowflake-like schema: only NOT NULL enforced
	table      int
	column     int
	kind       tamperKind
	row, other int64 // rowids
	at         int
	b          byte
	n          int64
}

func (m tamperMutation) String() string {
	schema := "as the app created it"
	if m.relaxed {
		schema = "with only NOT NULL enforced"
	}
	t := tamperTables[m.table]
	return fmt.Sprintf("%s rowid %d, %s: %s (other rowid %d, at %d, byte %#x, n %d), %s",
		t.name, m.row, t.columns[m.column].name, m.kind, m.other, m.at, m.b, m.n, schema)
}

// tamperFixture is the database the fuzzer tampers with, written once per
// process through the real workflow, in two schemas.
type tamperFixture struct {
	schemas [2]*tamperSchema // as the app created it; with only NOT NULL enforced
	rowids  [][]int64        // each table's rows, in rowid order (the same in both schemas)
	state   [][]string       // the tables' values, as readTamperState reads them
}

// tamperSchema is one schema's working copy of the database. Each input
// first restores the copy's three tables from the pristine template (rowids
// included), then tampers with them and verifies the copy. The verifier's
// store stays open across inputs: its statement is long, and preparing it
// for every input was most of an input's cost.
type tamperSchema struct {
	attacker *sql.DB          // the working copy, the template attached as "pristine"
	verifier *signoff.Service // over a read-only store on the working copy, with the digest file
}

// restore puts the working copy's tables back as the template has them,
// and checks that they are: a restore that left an earlier input's change
// behind would let the verifier's report of that change pass for this one.
func (s *tamperSchema) restore(ctx context.Context) error {
	tx, err := s.attacker.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = tx.Rollback()
		return err
	}
	for _, table := range tamperTables {
		list := table.columnList()
		for _, q := range []string{`DELETE FROM main.` + table.name,
			`INSERT INTO main.` + table.name + ` (rowid, ` + list + `) SELECT rowid, ` + list + ` FROM pristine.` + table.name} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fail(fmt.Errorf("restore %s: %w", table.name, err))
			}
		}
		// Rows are told apart by rowid, so set difference is enough; values
		// of different types differ.
		var differ int
		main, pristine := `SELECT rowid, `+list+` FROM main.`+table.name, `SELECT rowid, `+list+` FROM pristine.`+table.name
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (`+main+` EXCEPT `+pristine+`)) +
			(SELECT COUNT(*) FROM (`+pristine+` EXCEPT `+main+`))`).Scan(&differ); err != nil {
			return fail(fmt.Errorf("restore %s: %w", table.name, err))
		}
		if differ != 0 {
			return fail(fmt.Errorf("restore %s: %d rows differ from the template", table.name, differ))
		}
	}
	return tx.Commit()
}

func (t tamperTable) columnList() string {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func (fx *tamperFixture) mutation(relaxed bool, table, column, kind uint8, row, other, at uint16, b byte, n int64) tamperMutation {
	t := int(table) % len(tamperTables)
	rows := fx.rowids[t]
	return tamperMutation{relaxed: relaxed, table: t, column: int(column) % len(tamperTables[t].columns),
		kind: tamperKind(kind % uint8(tamperKinds)), row: rows[int(row)%len(rows)], other: rows[int(other)%len(rows)],
		at: int(at), b: b, n: n}
}

// tamperOutcome is what became of one mutation.
type tamperOutcome string

const (
	outcomeReported  tamperOutcome = "reported"            // it changed a claim, and the verifier said so
	outcomeRefused   tamperOutcome = "refused"             // the database refused it (a key, reference or check)
	outcomeUnchanged tamperOutcome = "unchanged"           // every value is the same claim as before, and the log verifies
	outcomeOverReach tamperOutcome = "unchanged, reported" // every value is the same claim, but the verifier objects to a spelling
)

// try applies m to the working copy and checks the verifier's answer.
func (fx *tamperFixture) try(t *testing.T, m tamperMutation) tamperOutcome {
	ctx := t.Context()
	schema := fx.schemas[0]
	if m.relaxed {
		schema = fx.schemas[1]
	}
	require.NoError(t, schema.restore(ctx))
	what, err := applyMutation(ctx, schema.attacker, m)
	if err != nil {
		var se *sqlite3.Error
		if errors.As(err, &se) && se.Code() == sqlite3.CONSTRAINT {
			return outcomeRefused
		}
		t.Fatalf("%s: %v", m, err)
	}
	after, err := readTamperState(ctx, schema.attacker)
	require.NoError(t, err)
	changed := !slices.EqualFunc(fx.state, after, slices.Equal)

	rep, err := schema.verifier.VerifyAudit(ctx, tamperAuditor)
	require.NoError(t, err)
	for _, p := range rep.Problems {
		require.NotEmpty(t, p.Sentence(), "%+v", p)
	}
	switch {
	case changed && rep.OK():
		t.Fatalf("%s\n%s\nchanged what the log claims, and the verifier reported nothing", m, what)
	case changed:
		return outcomeReported
	case rep.OK():
		return outcomeUnchanged
	}
	return outcomeOverReach
}

// tamperAuditor is who verifies.
var tamperAuditor = signoff.NewIdentity("AUDITOR", []string{signoff.RoleAuditor})

// cell is a stored value as SQLite holds it: its storage class (typeof) and
// its text (CAST AS TEXT).
type cell struct {
	class string // null, integer, real, text or blob
	text  string
}

func (c cell) String() string {
	if c.class == "null" {
		return "NULL"
	}
	return c.class + " " + strconv.Quote(c.text)
}

// arg is the value to bind to store c again.
func (c cell) arg() any {
	switch c.class {
	case "null":
		return nil
	case "integer":
		n, err := strconv.ParseInt(c.text, 10, 64)
		if err == nil {
			return n
		}
	case "real":
		x, err := strconv.ParseFloat(c.text, 64)
		if err == nil {
			return x
		}
	case "blob":
		return []byte(c.text)
	}
	return c.text
}

// canonical is c's value under rule: equal for values that are one claim.
func (c cell) canonical(rule columnRule) string {
	switch {
	case rule == emptyIsNull && c.class == "null":
		c = cell{"text", ""}
	case rule == zeroIsNull && c.class == "null":
		c = cell{"integer", "0"}
	case rule == instant && c.class == "text":
		if at, err := sqlite.ParseStoredTime(c.text); err == nil {
			return "instant " + at.UTC().Format(time.RFC3339Nano)
		}
	}
	return c.String()
}

// applyMutation applies m with plain SQL and says what it changed.
func applyMutation(ctx context.Context, db *sql.DB, m tamperMutation) (string, error) {
	table := tamperTables[m.table]
	col := table.columns[m.column]
	get := func(rowid int64) (cell, error) {
		var class string
		var text sql.NullString
		err := db.QueryRowContext(ctx, `SELECT typeof(`+col.name+`), CAST(`+col.name+` AS TEXT) FROM `+table.name+
			` WHERE rowid = ?`, rowid).Scan(&class, &text)
		return cell{class, text.String}, err
	}
	set := func(rowid int64, v any) error {
		_, err := db.ExecContext(ctx, `UPDATE `+table.name+` SET `+col.name+` = ? WHERE rowid = ?`, v, rowid)
		return err
	}
	stored := func(rowid int64, before cell) (string, error) {
		after, err := get(rowid)
		return fmt.Sprintf("%s → %s", before, after), err
	}
	old, err := get(m.row)
	if err != nil {
		return "", err
	}
	switch m.kind {
	case flipBit, replaceByte, insertByte, deleteByte:
		if err := set(m.row, editText(old.text, m.kind, m.at, m.b)); err != nil {
			return "", err
		}
		return stored(m.row, old)
	case addNumber:
		if err := set(m.row, addTo(old, col.rule, m.n, m.at)); err != nil {
			return "", err
		}
		return stored(m.row, old)
	case storeBlob:
		if _, err := db.ExecContext(ctx, `UPDATE `+table.name+` SET `+col.name+` = CAST(`+col.name+` AS BLOB) WHERE rowid = ?`,
			m.row); err != nil {
			return "", err
		}
		return stored(m.row, old)
	case setNull:
		if err := set(m.row, nil); err != nil {
			return "", err
		}
		return stored(m.row, old)
	case deleteRow:
		_, err := db.ExecContext(ctx, `DELETE FROM `+table.name+` WHERE rowid = ?`, m.row)
		return "deleted the row", err
	case duplicateRow, duplicateEdited:
		// The copy is written in one INSERT, edited or not, so that a key
		// refuses only a copy that repeats it.
		var copied []string
		var v any
		for i, c := range table.columns {
			if i == m.column && m.kind == duplicateEdited {
				c.name = "?"
			}
			copied = append(copied, c.name)
		}
		args := []any{m.row}
		if m.kind == duplicateEdited {
			v = editText(old.text, insertByte, m.at, m.b)
			if _, isTime := timeOf(old, col.rule); isTime || old.class == "integer" || old.class == "real" {
				v = addTo(old, col.rule, m.n, m.at)
			}
			args = []any{v, m.row}
		}
		res, err := db.ExecContext(ctx, `INSERT INTO `+table.name+` (`+table.columnList()+`) SELECT `+
			strings.Join(copied, ", ")+` FROM `+table.name+` WHERE rowid = ?`, args...)
		if err != nil {
			return "", err
		}
		if m.kind == duplicateRow {
			return "duplicated the row", nil
		}
		id, err := res.LastInsertId()
		if err != nil {
			return "", err
		}
		what, err := stored(id, old)
		return "duplicated the row, the copy's value " + what, err
	case swapValues, copyValue:
		theirs, err := get(m.other)
		if err != nil {
			return "", err
		}
		if m.kind == copyValue {
			if err := set(m.row, theirs.arg()); err != nil {
				return "", err
			}
			return stored(m.row, old)
		}
		_, err = db.ExecContext(ctx, `UPDATE `+table.name+` SET `+col.name+` = CASE WHEN rowid = ? THEN ? ELSE ? END
			WHERE rowid IN (?, ?)`, m.row, theirs.arg(), old.arg(), m.row, m.other)
		return fmt.Sprintf("swapped %s and %s", old, theirs), err
	}
	return "", fmt.Errorf("no mutation %d", m.kind)
}

// editText applies a byte mutation to s (NULL reads as ""): the position
// wraps around the value, and an empty value has no byte to flip, replace
// or delete.
func editText(s string, kind tamperKind, at int, b byte) string {
	if kind == insertByte {
		i := at % (len(s) + 1)
		return s[:i] + string([]byte{b}) + s[i:]
	}
	if s == "" {
		return s
	}
	i := at % len(s)
	out := []byte(s)
	switch kind {
	case flipBit:
		out[i] ^= 1 << (b % 8)
	case replaceByte:
		out[i] = b
	case deleteByte:
		out = append(out[:i], out[i+1:]...)
	}
	return string(out)
}

// timeOf reads c as a time, if its column holds times and c is one.
func timeOf(c cell, rule columnRule) (time.Time, bool) {
	if rule != instant || c.class != "text" {
		return time.Time{}, false
	}
	at, err := sqlite.ParseStoredTime(c.text)
	return at, err == nil
}

// addTo adds n to c's number: an integer or a real, a time (n
// microseconds, written as the store writes times), or otherwise the first
// run of digits at or after at in the text (a length in a chain snapshot, a
// digit of an ID or a hash), appending n if the text has no digits. NULL
// becomes n.
func addTo(c cell, rule columnRule, n int64, at int) any {
	switch c.class {
	case "null":
		return n
	case "integer", "real":
		switch v := c.arg().(type) {
		case int64:
			return v + n
		case float64:
			return v + float64(n)
		}
	}
	if t, ok := timeOf(c, rule); ok {
		return t.Add(time.Duration(n) * time.Microsecond).UTC().Format(sqlite.TimeFormat)
	}
	s := c.text
	isDigit := func(r rune) bool { return r >= '0' && r <= '9' }
	from := at % (len(s) + 1)
	i := strings.IndexFunc(s[from:], isDigit)
	if i < 0 {
		from, i = 0, strings.IndexFunc(s, isDigit)
	}
	if i < 0 {
		return s + strconv.FormatInt(n, 10)
	}
	start := from + i
	end := start
	for end < len(s) && end-start < 18 && isDigit(rune(s[end])) {
		end++
	}
	v, _ := strconv.ParseInt(s[start:end], 10, 64) // at most 18 digits
	return s[:start] + strconv.FormatInt(v+n, 10) + s[end:]
}

// readTamperState reads each table's rows, each as its values' canonical
// forms, sorted: two states are equal when the tables hold the same claims,
// whatever the rows' order or rowids.
func readTamperState(ctx context.Context, db *sql.DB) ([][]string, error) {
	out := make([][]string, len(tamperTables))
	for ti, table := range tamperTables {
		var cols []string
		for _, c := range table.columns {
			cols = append(cols, `typeof(`+c.name+`), CAST(`+c.name+` AS TEXT)`)
		}
		rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table.name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			classes := make([]string, len(table.columns))
			texts := make([]sql.NullString, len(table.columns))
			dest := make([]any, 0, 2*len(table.columns))
			for i := range table.columns {
				dest = append(dest, &classes[i], &texts[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, err
			}
			values := make([]string, len(table.columns))
			for i, c := range table.columns {
				values[i] = strconv.Quote(cell{classes[i], texts[i].String}.canonical(c.rule))
			}
			out[ti] = append(out[ti], strings.Join(values, ","))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		slices.Sort(out[ti])
	}
	return out, nil
}

// newTamperFixture writes the story's database, its two templates and
// their working copies, and checks that both verify as they are.
func newTamperFixture(tb testing.TB) *tamperFixture {
	ctx := tb.Context()
	dir := tb.TempDir()
	digests := filepath.Join(dir, "signoff.db.digests")
	templates := [2]string{filepath.Join(dir, "app.db"), filepath.Join(dir, "relaxed.db")}
	playTamperStory(tb, templates[0], digests)

	// The attacker owns the file: the append-only triggers go once, here,
	// rather than in every input. A rollback journal instead of the WAL
	// keeps the copies one file each.
	db := attackerDB(tb, templates[0])
	for _, q := range []string{`PRAGMA journal_mode = DELETE`, `DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(tb, err, q)
	}
	require.NoError(tb, db.Close())
	copyFile(tb, templates[0], templates[1])
	db = attackerDB(tb, templates[1])
	relax(tb, db)
	require.NoError(tb, db.Close())

	fx := &tamperFixture{}
	for i, template := range templates {
		work := filepath.Join(dir, fmt.Sprintf("work-%d.db", i))
		copyFile(tb, template, work)
		db := attackerDB(tb, work)
		// Nothing the attacker writes needs to survive a crash.
		for _, q := range []string{`PRAGMA synchronous = OFF`, `PRAGMA journal_mode = MEMORY`} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(tb, err, q)
		}
		_, err := db.ExecContext(ctx, `ATTACH DATABASE ? AS pristine`, template)
		require.NoError(tb, err)
		ro, err := sqlite.OpenReadOnly(ctx, work)
		require.NoError(tb, err)
		tb.Cleanup(func() { ro.Close() })
		schema := &tamperSchema{attacker: db, verifier: signoff.NewService(ro.Reads(), nil)}
		schema.verifier.Anchor = digestfile.New(digests)
		fx.schemas[i] = schema

		var rowids [][]int64
		for _, table := range tamperTables {
			var names []string
			require.NoError(tb, sqlRows(ctx, db, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, func(r *sql.Rows) error {
				var name string
				err := r.Scan(&name)
				names = append(names, name)
				return err
			}, table.name))
			require.Equal(tb, table.columnList(), strings.Join(names, ", "), "every column of %s has a rule in tamperTables", table.name)
			// The cases name rows of the story as it was before the demo's
			// access review: the rows of GRACE's grant, the oldest request,
			// which that review lists, come after the others, so that the
			// others keep their places.
			grace := `request_id IN (SELECT request_id FROM access_request WHERE requester = 'GRACE')`
			var ids []int64
			// Directory changes, of no request, are tampered with in
			// manager_tamper_test.go; here the requests' events are.
			where := ""
			if table.name == "audit_log" {
				where = " WHERE request_id IS NOT NULL"
			}
			require.NoError(tb, sqlRows(ctx, db, `SELECT rowid FROM `+table.name+where+
				` ORDER BY CASE WHEN `+grace+` THEN 1 ELSE 0 END, rowid`, func(r *sql.Rows) error {
				var id int64
				err := r.Scan(&id)
				ids = append(ids, id)
				return err
			}))
			rowids = append(rowids, ids)
		}
		require.NoError(tb, schema.restore(ctx))
		state, err := readTamperState(ctx, db)
		require.NoError(tb, err)
		if i == 0 {
			fx.rowids, fx.state = rowids, state
		} else {
			require.Equal(tb, fx.rowids, rowids, "the relaxed schema keeps the rows")
			require.Equal(tb, fx.state, state, "the relaxed schema keeps the values")
		}
		rep, err := schema.verifier.VerifyAudit(ctx, tamperAuditor)
		require.NoError(tb, err)
		require.True(tb, rep.OK(), "%s verifies untouched: %v", work, rep.Problems)
		require.Len(tb, rep.Digests, 2)
	}
	return fx
}

// playTamperStory writes the database through the real workflow: the demo
// story (requests granted, revoked, rejected, withdrawn, with a failed grant,
// and pending at each step), two more failed retries, a digest, an
// approval, the retry that grants, a second digest, then a request
// submitted and rejected in text beyond ASCII, so that some events follow
// the newest digest. The clock is fixed, so the stored times are the same
// in every run; IDs and hashes are not.
func playTamperStory(tb testing.TB, path, digests string) {
	ctx := tb.Context()
	st, err := sqlite.Open(ctx, path)
	require.NoError(tb, err)
	svc := signoff.NewService(st.Reads(), st)
	svc.Anchor = digestfile.New(digests)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	require.NoError(tb, demo.Load(ctx, st, svc, start))
	at := func(d time.Duration) { svc.Now = func() time.Time { return start.Add(d) } }
	who := func(user string) signoff.Identity {
		id, err := st.Identify(ctx, user)
		require.NoError(tb, err)
		return id
	}
	find := func(requester, product string) string {
		rs, err := st.Reads().Requests(ctx, requester, 100)
		require.NoError(tb, err)
		for _, r := range rs {
			if r.ProductID == product && r.Status != signoff.StatusWithdrawn {
				return r.ID
			}
		}
		tb.Fatalf("the demo has no request by %s for %s", requester, product)
		return ""
	}
	digest := func() {
		_, taken, err := svc.TakeDigest(ctx)
		require.NoError(tb, err)
		require.True(tb, taken)
	}
	failed, pending := find("ALICE", "supplier-contracts"), find("ALICE", "hr-headcount")

	require.NoError(tb, st.DropRole(ctx, "SUPPLIER_CONTRACTS_READ"))
	for i := range 2 {
		at(time.Duration(i+1) * time.Minute)
		status, err := svc.RetryGrant(ctx, who("ADAM"), failed)
		require.NoError(tb, err)
		require.Equal(tb, signoff.StatusGrantFailed, status)
	}
	at(3 * time.Minute)
	digest()
	at(4 * time.Minute)
	_, err = svc.Decide(ctx, who("MARCO"), pending, signoff.DecisionInput{Decision: signoff.DecisionApprove})
	require.NoError(tb, err)
	require.NoError(tb, st.CreateRole(ctx, "SUPPLIER_CONTRACTS_READ", "Access role: supplier contracts"))
	at(5 * time.Minute)
	status, err := svc.RetryGrant(ctx, who("ADAM"), failed)
	require.NoError(tb, err)
	require.Equal(tb, signoff.StatusGranted, status)
	at(6 * time.Minute)
	digest()
	at(7 * time.Minute)
	r, err := svc.Submit(ctx, who("BEN"), "web-traffic-daily", `Zoë's "check" of the channel mix: 名前 3:x, again.`, 0)
	require.NoError(tb, err)
	at(8 * time.Minute)
	_, err = svc.Decide(ctx, who("OLIVIA"), r.RequestID, signoff.DecisionInput{Decision: signoff.DecisionReject,
		Comment: "Non — use the aggregated view (名前 2:y)."})
	require.NoError(tb, err)
	require.NoError(tb, st.Close())
}

// relax rebuilds the three tables as Snowflake holds them: the same
// columns and types, NOT NULL enforced, and no key, uniqueness, reference
// or check, which Snowflake does not enforce. Duplicated rows and values
// outside a CHECK then reach the verifier instead of being refused.
func relax(tb testing.TB, db *sql.DB) {
	ctx := tb.Context()
	exec := func(q string) {
		_, err := db.ExecContext(ctx, q)
		require.NoError(tb, err, q)
	}
	for _, table := range tamperTables {
		var defs, names []string
		require.NoError(tb, sqlRows(ctx, db, `SELECT name, type, "notnull" FROM pragma_table_info(?) ORDER BY cid`,
			func(r *sql.Rows) error {
				var name, typ string
				var notNull bool
				if err := r.Scan(&name, &typ, &notNull); err != nil {
					return err
				}
				def := name + " " + typ
				if notNull {
					def += " NOT NULL"
				}
				defs, names = append(defs, def), append(names, name)
				return nil
			}, table.name))
		list := strings.Join(names, ", ")
		exec(`CREATE TABLE relaxed (` + strings.Join(defs, ", ") + `)`)
		exec(`INSERT INTO relaxed (rowid, ` + list + `) SELECT rowid, ` + list + ` FROM ` + table.name)
		exec(`DROP TABLE ` + table.name)
		exec(`ALTER TABLE relaxed RENAME TO ` + table.name)
	}
}

// sqlRows runs query and calls fn for each row.
func sqlRows(ctx context.Context, db *sql.DB, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// attackerDB opens the file at path as someone who owns it: one connection,
// references not enforced. The caller closes it (the test closes it too,
// if it is still open).
func attackerDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(0)")
	// Path, not Opaque: a seed's temporary directory has a '#' in its name.
	db, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String())
	require.NoError(tb, err)
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return db
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	src, err := os.Open(from)
	require.NoError(tb, err)
	defer src.Close()
	dst, err := os.Create(to)
	require.NoError(tb, err)
	_, err = io.Copy(dst, src)
	require.NoError(tb, err)
	require.NoError(tb, dst.Close())
}

// tamperTally counts the outcomes of one process's inputs, logged at its
// end (go test -v shows the seeds'), and appends each to a file under
// $SIGNOFF_FUZZ_TALLY when that is set (fuzzing workers log nowhere else).
type tamperTally struct {
	mu    sync.Mutex
	count map[tamperOutcome]int
	file  *os.File
}

func newTamperTally(f *testing.F) *tamperTally {
	t := &tamperTally{count: map[tamperOutcome]int{}}
	if dir := os.Getenv("SIGNOFF_FUZZ_TALLY"); dir != "" {
		file, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("tally-%d.tsv", os.Getpid())),
			os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		require.NoError(f, err)
		t.file = file
	}
	f.Cleanup(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		f.Logf("tampered logs: %d reported, %d refused by the database, %d unchanged (%d of them reported anyway)",
			t.count[outcomeReported], t.count[outcomeRefused], t.count[outcomeUnchanged]+t.count[outcomeOverReach],
			t.count[outcomeOverReach])
		if t.file != nil {
			require.NoError(f, t.file.Close())
		}
	})
	return t
}

func (t *tamperTally) add(tb testing.TB, m tamperMutation, out tamperOutcome, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count[out]++
	if t.file != nil {
		_, err := fmt.Fprintf(t.file, "%s\t%s\t%s\t%s\t%t\t%d\n", out, tamperTables[m.table].name,
			tamperTables[m.table].columns[m.column].name, m.kind, m.relaxed, took.Microseconds())
		require.NoError(tb, err)
	}
}
