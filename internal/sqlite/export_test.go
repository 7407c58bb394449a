package sqlite

// What the external tests (package sqlite_test) need from inside: the
// tampering fuzzer reads a stored time exactly as the audit hash reads it,
// and writes one as the store writes it.

// ParseStoredTime is parseStoredTime.
var ParseStoredTime = parseStoredTime

// TimeFormat is timeFormat.
const TimeFormat = timeFormat
