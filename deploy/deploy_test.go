// Package deploy_test checks the deployment files against each other: the
// service specification (../spcs.yaml), the Snowflake CLI project
// (snowflake.yml), the SQL in this folder and the objects that
// ../sql/snowflake/02_rbac_and_grant.sql creates. Nothing here talks to
// Snowflake; what only a real account can check is listed in README.md.
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

// project mirrors snowflake.yml (definition_version 2) for the two entity
// types it uses (snowflake-cli's ComputePoolEntityModel, ServiceEntityModel).
type project struct {
	DefinitionVersion string            `yaml:"definition_version"`
	Entities          map[string]entity `yaml:"entities"`
}

type entity struct {
	Type       string `yaml:"type"`
	Identifier struct {
		Name     string `yaml:"name"`
		Database string `yaml:"database"`
		Schema   string `yaml:"schema"`
	} `yaml:"identifier"`
	Comment string `yaml:"comment"`
	// compute-pool
	InstanceFamily     string `yaml:"instance_family"`
	MinNodes           int    `yaml:"min_nodes"`
	MaxNodes           int    `yaml:"max_nodes"`
	AutoResume         *bool  `yaml:"auto_resume"`
	InitiallySuspended *bool  `yaml:"initially_suspended"`
	AutoSuspendSeconds int    `yaml:"auto_suspend_seconds"`
	// service
	Stage                      string   `yaml:"stage"`
	ComputePool                string   `yaml:"compute_pool"`
	SpecFile                   string   `yaml:"spec_file"`
	Artifacts                  []string `yaml:"artifacts"`
	MinInstances               int      `yaml:"min_instances"`
	MaxInstances               int      `yaml:"max_instances"`
	QueryWarehouse             string   `yaml:"query_warehouse"`
	ExternalAccessIntegrations []string `yaml:"external_access_integrations"`
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

func TestProjectDefinition(t *testing.T) {
	var p project
	decodeStrict(t, "snowflake.yml", &p)
	sql := loadSQL(t)
	var spec serviceSpec
	decodeStrict(t, filepath.Join("..", "spcs.yaml"), &spec)

	if p.DefinitionVersion != "2" {
		t.Errorf("definition_version %q, want 2", p.DefinitionVersion)
	}
	var svc, pool *entity
	for id, e := range p.Entities {
		switch e.Type {
		case "service":
			svc = &e
		case "compute-pool":
			pool = &e
		default:
			t.Errorf("entity %s has type %q", id, e.Type)
		}
	}
	if svc == nil || pool == nil {
		t.Fatal("want one service entity and one compute-pool entity")
	}

	id := svc.Identifier
	if got := strings.ToUpper(id.Database + "." + id.Schema + "." + id.Name); got != service {
		t.Errorf("service identifier %s, want %s", got, service)
	}
	if !slices.Contains(svc.Artifacts, svc.SpecFile) || svc.SpecFile != "spcs.yaml" {
		t.Errorf("service spec_file %q, artifacts %q: want spcs.yaml uploaded and used", svc.SpecFile, svc.Artifacts)
	}
	// The CLI uploads only files inside the project, so deploy/spcs.yaml is a
	// link to the one specification.
	if fi, err := os.Lstat(svc.SpecFile); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("deploy/%s must be a symbolic link to ../spcs.yaml (%v)", svc.SpecFile, err)
	}
	linked, err := os.ReadFile(svc.SpecFile)
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.ReadFile(filepath.Join("..", "spcs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(linked, root) {
		t.Errorf("deploy/%s differs from ../spcs.yaml", svc.SpecFile)
	}

	if !strings.EqualFold(svc.ComputePool, pool.Identifier.Name) {
		t.Errorf("service runs in compute pool %s, the project defines %s", svc.ComputePool, pool.Identifier.Name)
	}
	create := sql.find("CREATE COMPUTE POOL IF NOT EXISTS " + strings.ToUpper(pool.Identifier.Name) + " ")
	if create == "" {
		t.Fatalf("no SQL script creates compute pool %s", pool.Identifier.Name)
	}
	props := properties(create)
	for k, want := range map[string]string{
		"INSTANCE_FAMILY":     pool.InstanceFamily,
		"MIN_NODES":           strconv.Itoa(pool.MinNodes),
		"MAX_NODES":           strconv.Itoa(pool.MaxNodes),
		"AUTO_SUSPEND_SECS":   strconv.Itoa(pool.AutoSuspendSeconds),
		"AUTO_RESUME":         strings.ToUpper(strconv.FormatBool(deref(pool.AutoResume))),
		"INITIALLY_SUSPENDED": strings.ToUpper(strconv.FormatBool(deref(pool.InitiallySuspended))),
	} {
		if props[k] != strings.ToUpper(want) {
			t.Errorf("compute pool %s: the SQL has %s = %s, snowflake.yml %s", pool.Identifier.Name, k, props[k], want)
		}
	}

	if w := spec.Spec.Containers[0].Env["SIGNOFF_WAREHOUSE"]; !strings.EqualFold(svc.QueryWarehouse, w) {
		t.Errorf("query_warehouse %s, spcs.yaml's SIGNOFF_WAREHOUSE %s", svc.QueryWarehouse, w)
	}

	// deploy/20_service.sql creates the same service as snowflake.yml.
	cs := sql.find("CREATE SERVICE IF NOT EXISTS " + service + " ")
	if cs == "" {
		t.Fatalf("no SQL script creates %s", service)
	}
	want := fmt.Sprintf("CREATE SERVICE IF NOT EXISTS %s IN COMPUTE POOL %s FROM @%s SPECIFICATION_FILE = '%s'",
		service, strings.ToUpper(svc.ComputePool), strings.ToUpper(svc.Stage), strings.ToUpper(svc.SpecFile))
	if !strings.HasPrefix(cs, want) {
		t.Errorf("20_service.sql: %s\nwant it to start: %s", cs, want)
	}
	props = properties(cs)
	for k, want := range map[string]string{
		"MIN_INSTANCES":   strconv.Itoa(svc.MinInstances),
		"MAX_INSTANCES":   strconv.Itoa(svc.MaxInstances),
		"QUERY_WAREHOUSE": strings.ToUpper(svc.QueryWarehouse),
	} {
		if props[k] != want {
			t.Errorf("CREATE SERVICE has %s = %s, snowflake.yml %s", k, props[k], want)
		}
	}
	if !sql.has("CREATE STAGE IF NOT EXISTS " + strings.ToUpper(svc.Stage)) {
		t.Errorf("stage %s: no SQL script creates it", svc.Stage)
	}
	if !sql.has("GRANT READ, WRITE ON STAGE " + strings.ToUpper(svc.Stage) + " TO ROLE SIGNOFF_APP") {
		t.Errorf("stage %s: SIGNOFF_APP may not read and write it", svc.Stage)
	}
	if !sql.has("ALTER SERVICE " + service + " FROM @" + strings.ToUpper(svc.Stage) + " SPECIFICATION_FILE = '" + strings.ToUpper(svc.SpecFile) + "'") {
		t.Errorf("30_upgrade.sql does not upgrade %s from the stage's %s", service, svc.SpecFile)
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

func deref(b *bool) bool { return b != nil && *b }

// sqlSet is every statement of the deployment scripts, normalised.
type sqlSet []string

// loadSQL reads this folder's scripts and the RBAC script that creates the
// warehouse, the image repository and the compute pool.
func loadSQL(t *testing.T) sqlSet {
	t.Helper()
	files, err := filepath.Glob("*.sql")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "sql", "snowflake", "02_rbac_and_grant.sql"))
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
