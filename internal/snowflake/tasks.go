package snowflake

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
