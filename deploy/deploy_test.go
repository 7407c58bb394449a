// Package deploy_test checks the deployment files against each other: the
// service specification (../spcs.yaml), the SQL in this folder and the
// objects that ../sql/snowflake/00_roles.sql creates. Nothing here talks to
// Snowflake; what only a real account can check is listed in README.md, and
// sql/snowflake_privileges_test.go checks every grant these scripts make.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// serviceSpec mirrors the documented service specification
// (DOCS/developer-guide/snowpark-container-services/specification-reference).
// Decoding rejects unknown fields, so a misspelt key fails here rather than
// in CREATE SERVICE.
type serviceSpec struct {
	Spec struct {
		Containers []struct {
			Name           string            `yaml:"name"`
			Image          string            `yaml:"image"`
			Command        []string          `yaml:"command"`
			Args           []string          `yaml:"args"`
			Env            map[string]string `yaml:"env"`
			ReadinessProbe *probe            `yaml:"readinessProbe"`
			VolumeMounts   []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			} `yaml:"volumeMounts"`
			Resources struct {
				Requests resources `yaml:"requests"`
				Limits   resources `yaml:"limits"`
			} `yaml:"resources"`
			Secrets []struct {
				SnowflakeSecret struct {
					ObjectName      string `yaml:"objectName"`
					ObjectReference string `yaml:"objectReference"`
				} `yaml:"snowflakeSecret"`
				SecretKeyRef  string `yaml:"secretKeyRef"`
				EnvVarName    string `yaml:"envVarName"`
				DirectoryPath string `yaml:"directoryPath"`
			} `yaml:"secrets"`
			MountSessionToken  *bool `yaml:"mountSessionToken"`
			SessionTokenConfig *struct {
				Path                  string `yaml:"path"`
				Permission            string `yaml:"permission"`
				MountConnectionConfig bool   `yaml:"mountConnectionConfig"`
			} `yaml:"sessionTokenConfig"`
		} `yaml:"containers"`
		Endpoints []struct {
			Name         string         `yaml:"name"`
			Port         int            `yaml:"port"`
			PortRange    string         `yaml:"portRange"`
			Public       bool           `yaml:"public"`
			Protocol     string         `yaml:"protocol"`
			CorsSettings map[string]any `yaml:"corsSettings"`
		} `yaml:"endpoints"`
		Volumes      []map[string]any `yaml:"volumes"`
		LogExporters struct {
			EventTableConfig struct {
				LogLevel string `yaml:"logLevel"`
			} `yaml:"eventTableConfig"`
		} `yaml:"logExporters"`
		PlatformMonitor map[string]any `yaml:"platformMonitor"`
	} `yaml:"spec"`
	Capabilities struct {
		SecurityContext struct {
			ExecuteAsCaller         bool `yaml:"executeAsCaller"`
			EnableCustomCredentials bool `yaml:"enableCustomCredentials"`
		} `yaml:"securityContext"`
	} `yaml:"capabilities"`
	ServiceRoles []serviceRole `yaml:"serviceRoles"`
}

type serviceRole struct {
	Name      string   `yaml:"name"`
	Endpoints []string `yaml:"endpoints"`
}

type probe struct {
	Port             int    `yaml:"port"`
	Path             string `yaml:"path"`
	PeriodSeconds    int    `yaml:"periodSeconds"`
	FailureThreshold int    `yaml:"failureThreshold"`
}

type resources struct {
	Memory string `yaml:"memory"`
	CPU    string `yaml:"cpu"`
	GPU    string `yaml:"nvidia.com/gpu"`
}

func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var (
	// Container, endpoint and volume names: DNS labels.
	dnsName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	// Service role names: lowercase Snowflake identifiers.
	roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	// /<database>/<schema>/<repository>/<image>:<tag>, lowercase.
	imagePath = regexp.MustCompile(`^/([a-z][a-z0-9_]*)/([a-z][a-z0-9_]*)/([a-z][a-z0-9_]*)/([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$`)
	memory    = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(M|Mi|G|Gi)$`)
)

func TestServiceSpec(t *testing.T) {
	var s serviceSpec
	decodeStrict(t, filepath.Join("..", "spcs.yaml"), &s)
	sql := loadSQL(t)

	if len(s.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(s.Spec.Containers))
	}
	c := s.Spec.Containers[0]
	if !dnsName.MatchString(c.Name) {
		t.Errorf("container name %q: want lowercase letters, digits and '-', at most 63, starting with a letter", c.Name)
	}

	m := imagePath.FindStringSubmatch(c.Image)
	if m == nil {
		t.Fatalf("image %q: want /<database>/<schema>/<repository>/<image>:<tag>, lowercase", c.Image)
	}
	repo := strings.ToUpper(m[1] + "." + m[2] + "." + m[3])
	if !sql.has(`CREATE IMAGE REPOSITORY IF NOT EXISTS ` + repo) {
		t.Errorf("image %q is in repository %s, which no SQL script creates", c.Image, repo)
	}
	if m[4] != "signoff" {
		t.Errorf("image name %q, want signoff", m[4])
	}

	if len(s.Spec.Endpoints) != 1 {
		t.Fatalf("%d endpoints, want 1", len(s.Spec.Endpoints))
	}
	ep := s.Spec.Endpoints[0]
	if ep.Name != "ui" || !dnsName.MatchString(ep.Name) {
		t.Errorf("endpoint name %q, want ui", ep.Name)
	}
	if !ep.Public || (ep.Protocol != "" && ep.Protocol != "HTTP") {
		t.Errorf("endpoint %s: public %v protocol %q, want a public HTTP endpoint", ep.Name, ep.Public, ep.Protocol)
	}
	if ep.Port < 1 || ep.Port > 65535 || ep.PortRange != "" {
		t.Errorf("endpoint %s: port %d range %q, want one port", ep.Name, ep.Port, ep.PortRange)
	}

	if p := c.ReadinessProbe; p == nil || p.Path != "/readyz" || p.Port != ep.Port {
		t.Errorf("readiness probe %+v, want GET /readyz on the endpoint's port %d", p, ep.Port)
	}
	if _, port, ok := strings.Cut(c.Env["SIGNOFF_ADDR"], ":"); !ok || port != strconv.Itoa(ep.Port) {
		t.Errorf("SIGNOFF_ADDR %q does not listen on the endpoint's port %d", c.Env["SIGNOFF_ADDR"], ep.Port)
	}

	if !s.Capabilities.SecurityContext.ExecuteAsCaller {
		t.Error("capabilities.securityContext.executeAsCaller must be true: identity comes from the caller's session")
	}

	covered := map[string]bool{}
	for _, r := range s.ServiceRoles {
		if !roleName.MatchString(r.Name) {
			t.Errorf("service role %q: want a lowercase identifier of at most 63 characters", r.Name)
		}
		for _, e := range r.Endpoints {
			if e != ep.Name {
				t.Errorf("service role %s names endpoint %q, which the spec does not define", r.Name, e)
			}
			covered[e] = true
		}
		grant := fmt.Sprintf("GRANT SERVICE ROLE %s!%s TO ROLE", service, strings.ToUpper(r.Name))
		if !sql.has(grant) {
			t.Errorf("no SQL script runs %s ...", grant)
		}
	}
	if !slices.ContainsFunc(s.ServiceRoles, func(r serviceRole) bool {
		return r.Name == "app_user" && slices.Contains(r.Endpoints, "ui")
	}) {
		t.Error("want the service role app_user on endpoint ui")
	}
	if ep.Public && !covered[ep.Name] {
		t.Errorf("public endpoint %s is in no service role: nobody but the owner could open it", ep.Name)
	}

	for _, r := range []struct {
		what string
		v    string
	}{{"requests.memory", c.Resources.Requests.Memory}, {"limits.memory", c.Resources.Limits.Memory}} {
		if !memory.MatchString(r.v) {
			t.Errorf("resources.%s %q: want a number with a unit (M, Mi, G, Gi)", r.what, r.v)
		}
	}
	if c.Resources.Requests.CPU == "" {
		t.Error("resources.requests.cpu is missing")
	}

	if w := c.Env["SIGNOFF_WAREHOUSE"]; w == "" {
		t.Error("env SIGNOFF_WAREHOUSE is missing: SPCS passes no warehouse to the container")
	} else if !sql.has("CREATE WAREHOUSE IF NOT EXISTS " + strings.ToUpper(w)) {
		t.Errorf("SIGNOFF_WAREHOUSE %s: no SQL script creates it", w)
	}
	for k := range c.Env {
		if strings.HasPrefix(k, "SNOWFLAKE_") {
			t.Errorf("env %s is set by hand: SPCS injects the SNOWFLAKE_* variables", k)
		}
	}

	if len(c.Secrets) != 1 {
		t.Fatalf("%d secrets, want 1 (the session key)", len(c.Secrets))
	}
	sec := c.Secrets[0]
	if sec.EnvVarName != "SIGNOFF_SESSION_KEY" || sec.SecretKeyRef != "secret_string" || sec.DirectoryPath != "" {
		t.Errorf("secret %+v: want secret_string as the env var SIGNOFF_SESSION_KEY", sec)
	}
	name := strings.ToUpper(sec.SnowflakeSecret.ObjectName)
	if !sql.has("CREATE SECRET IF NOT EXISTS " + name + " TYPE = GENERIC_STRING") {
		t.Errorf("secret %s: no SQL script creates it as a GENERIC_STRING secret", name)
	}
	if !sql.has("GRANT READ ON SECRET " + name + " TO ROLE SIGNOFF_APP") {
		t.Errorf("secret %s: SIGNOFF_APP is not granted READ on it", name)
	}

	if l := s.Spec.LogExporters.EventTableConfig.LogLevel; l != "INFO" {
		t.Errorf("logExporters.eventTableConfig.logLevel %q, want INFO", l)
	}
}

// service is the service's fully qualified name, as the SQL spells it.
const service = "SIGNOFF.APP.SIGNOFF"

// TestServiceStatements checks that 20_service.sql creates the service the
// rest of the deployment names, and that the upgrade replaces its
// specification from the same stage and file.
func TestServiceStatements(t *testing.T) {
	sql := loadSQL(t)
	create := sql.find("CREATE SERVICE IF NOT EXISTS " + service + " ")
	if create == "" {
		t.Fatalf("no CREATE SERVICE IF NOT EXISTS %s", service)
	}
	props := properties(create)
	for k, want := range map[string]string{"SPECIFICATION_FILE": "'SPCS.YAML'", "QUERY_WAREHOUSE": "SIGNOFF_WH"} {
		if props[k] != want {
			t.Errorf("CREATE SERVICE has %s = %s, want %s", k, props[k], want)
		}
	}
	if !strings.Contains(create, " IN COMPUTE POOL SIGNOFF_POOL ") || !strings.Contains(create, " FROM @SIGNOFF.APP.SPECS ") {
		t.Errorf("CREATE SERVICE does not run in SIGNOFF_POOL from @SIGNOFF.APP.SPECS: %s", create)
	}
	if !sql.has("CREATE COMPUTE POOL IF NOT EXISTS SIGNOFF_POOL") {
		t.Error("no script creates SIGNOFF_POOL")
	}
	if !sql.has("ALTER SERVICE " + service + " FROM @SIGNOFF.APP.SPECS SPECIFICATION_FILE = 'SPCS.YAML'") {
		t.Errorf("30_upgrade.sql does not upgrade %s from the stage's spcs.yaml", service)
	}
}

// TestDeployTimePowersAreTakenBack: CREATE SERVICE and READ on the stage are
// granted to the running app's role only while a deploy script runs; every
// grant of them is followed by its revoke in the same script.
func TestDeployTimePowersAreTakenBack(t *testing.T) {
	for _, f := range []string{"20_service.sql", "30_upgrade.sql"} {
		held := map[string]bool{}
		for _, st := range statements(t, f) {
			switch {
			case strings.HasPrefix(st, "GRANT ") && strings.HasSuffix(st, " TO ROLE SIGNOFF_APP"):
				held[strings.TrimSuffix(strings.TrimPrefix(st, "GRANT "), " TO ROLE SIGNOFF_APP")] = true
			case strings.HasPrefix(st, "REVOKE ") && strings.HasSuffix(st, " FROM ROLE SIGNOFF_APP"):
				delete(held, strings.TrimSuffix(strings.TrimPrefix(st, "REVOKE "), " FROM ROLE SIGNOFF_APP"))
			}
		}
		for g := range held {
			t.Errorf("%s grants %s to SIGNOFF_APP and does not take it back", f, g)
		}
	}
}

// TestSQLIdempotent checks every CREATE in this folder can run twice.
func TestSQLIdempotent(t *testing.T) {
	files, err := filepath.Glob("*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no SQL files: %v", err)
	}
	for _, f := range files {
		for _, st := range statements(t, f) {
			if strings.HasPrefix(st, "CREATE ") && !strings.Contains(st, " IF NOT EXISTS ") {
				t.Errorf("%s: %q is not CREATE ... IF NOT EXISTS", f, st)
			}
		}
	}
}

// sqlSet is every statement of the deployment scripts, normalised.
type sqlSet []string

// loadSQL reads this folder's scripts and the roles script that creates the
// warehouse and the compute pool.
func loadSQL(t *testing.T) sqlSet {
	t.Helper()
	files, err := filepath.Glob("*.sql")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "sql", "snowflake", "00_roles.sql"))
	var all sqlSet
	for _, f := range files {
		all = append(all, statements(t, f)...)
	}
	return all
}

func (s sqlSet) has(prefix string) bool { return s.find(prefix) != "" }

func (s sqlSet) find(prefix string) string {
	for _, st := range s {
		if strings.HasPrefix(st, prefix) {
			return st
		}
	}
	return ""
}

var (
	lineComment = regexp.MustCompile(`--[^\n]*`)
	dollarBody  = regexp.MustCompile(`(?s)\$\$.*?\$\$`)
	space       = regexp.MustCompile(`\s+`)
	property    = regexp.MustCompile(`\b([A-Z_]+) = ('[^']*'|[^ ]+)`)
)

// statements splits a script into statements: comments and $$ bodies removed,
// whitespace collapsed, upper-cased.
func statements(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := dollarBody.ReplaceAllString(lineComment.ReplaceAllString(string(raw), ""), "$$$$")
	var out []string
	for _, st := range strings.Split(text, ";") {
		st = strings.ToUpper(strings.TrimSpace(space.ReplaceAllString(st, " ")))
		if st != "" {
			out = append(out, st)
		}
	}
	return out
}

// properties reads the KEY = value pairs of a normalised statement.
func properties(st string) map[string]string {
	props := map[string]string{}
	for _, m := range property.FindAllStringSubmatch(st, -1) {
		props[m[1]] = m[2]
	}
	return props
}
