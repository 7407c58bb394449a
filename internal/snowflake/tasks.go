package snowflake

import "time"

// The tasks that run Signoff's work on Snowflake's schedule. A task runs as
// the role that owns it (DOCS/user-guide/tasks-intro): both are
// SIGNOFF_OWNER's, like the procedures they call. The preflight's task
// checks (PREFLIGHT, which runs as their owner, lists them with SHOW TASKS)
// compare what the account holds with these.

// Task is one of Signoff's tasks as the install creates it.
type Task struct {
	Name      string // fully qualified, as SHOW TASKS names it (database, schema, name)
	Owner     string
	Warehouse string
	Schedule  string // as CREATE TASK's SCHEDULE says it, and SHOW TASKS shows it
	Calls     string // the statement it runs
	Optional  bool   // created only by an optional step
	Script    string // the script that creates it
}

// ScheduleEvery is how often SIGNOFF_SCHEDULE runs RUN_SCHEDULE: access
// granted for a time ends, and reminders and escalations happen, at most
// this late.
const ScheduleEvery = "5 MINUTES"

// ScheduleTask runs the scheduler (reminders, escalations, expiry). The
// install creates and resumes it (sql/snowflake/03_api.sql).
var ScheduleTask = Task{Name: "SIGNOFF.API.SIGNOFF_SCHEDULE", Owner: "SIGNOFF_OWNER", Warehouse: "SIGNOFF_WH",
	Schedule: ScheduleEvery, Calls: "CALL SIGNOFF.API.RUN_SCHEDULE()", Script: "sql/snowflake/03_api.sql"}

// NotificationsTask writes the outbox and sends e-mail; only the optional
// deploy/40_notifications.sql creates it.
var NotificationsTask = Task{Name: "SIGNOFF.API.SEND_NOTIFICATIONS_TASK", Owner: "SIGNOFF_OWNER",
	Warehouse: "SIGNOFF_WH", Schedule: "1 MINUTE", Calls: "CALL SIGNOFF.API.SEND_NOTIFICATIONS('SIGNOFF_EMAIL')",
	Optional: true, Script: "deploy/40_notifications.sql"}

// Tasks are Signoff's tasks.
var Tasks = []Task{ScheduleTask, NotificationsTask}

// AddHoursSample is one of the times PREFLIGHT moves with ADD_HOURS, which
// the shared statements compute deadlines and expiries with: Snowflake's
// DATEADD(HOUR, ...) must agree with the embedded engine's Go
// (t.Add(hours * time.Hour)) to the nanosecond.
type AddHoursSample struct {
	At    time.Time
	Hours int
}

// AddHoursSamples: a grant's 90 days, a reminder's 72 hours back, a year
// across a leap day, a month end, and a year end, with nanoseconds.
var AddHoursSamples = []AddHoursSample{
	{time.Date(2026, 11, 30, 14, 3, 59, 123456789, time.UTC), 24 * 90},
	{time.Date(2026, 3, 1, 1, 0, 0, 999999999, time.UTC), -72},
	{time.Date(2027, 6, 15, 12, 0, 0, 1000, time.UTC), 24 * 366},
	{time.Date(2028, 2, 28, 23, 30, 0, 500000000, time.UTC), 1},
	{time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC), 24},
}

// AddHoursFormat is how PREFLIGHT writes ADD_HOURS' answers
// (TO_CHAR(..., 'YYYY-MM-DD HH24:MI:SS.FF9'), every digit, nothing rounded).
const AddHoursFormat = "2006-01-02 15:04:05.000000000"

// Want is the time Go computes for s, as PREFLIGHT writes it.
func (s AddHoursSample) Want() string {
	return s.At.Add(time.Duration(s.Hours) * time.Hour).UTC().Format(AddHoursFormat)
}
