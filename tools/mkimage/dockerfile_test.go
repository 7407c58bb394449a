package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileMatchesMkimage keeps ../../Dockerfile and mkimage building the
// same image: the final stage's USER, WORKDIR, EXPOSE, ENV, ENTRYPOINT and CMD
// must equal mkimage's configuration, and the build must target a static
// linux/amd64 binary.
func TestDockerfileMatchesMkimage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(string(raw))
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage Dockerfile, found %d stage(s)", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	if from := final.first("FROM"); !strings.Contains(from, "--platform=linux/amd64") || !strings.HasSuffix(from, "scratch") {
		t.Errorf("final stage is FROM %q, want FROM --platform=linux/amd64 scratch", from)
	}
	var buildRun strings.Builder
	for _, r := range build.all("RUN") {
		buildRun.WriteString(r + "\n")
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "-trimpath", "nonroot:x:65532:65532:", "chmod 1777"} {
		if !strings.Contains(buildRun.String(), want) {
			t.Errorf("the build stage's RUN lines lack %q", want)
		}
	}
	var copies strings.Builder
	for _, c := range final.all("COPY") {
		copies.WriteString(c + "\n")
	}
	for _, want := range []string{"/" + caCertsPath, "/" + binaryPath} {
		if !strings.Contains(copies.String(), want) {
			t.Errorf("the final stage copies nothing to %s", want)
		}
	}

	if got := final.last("USER"); got != user {
		t.Errorf("Dockerfile USER %q, mkimage %q", got, user)
	}
	if got := final.last("WORKDIR"); got != workingDir {
		t.Errorf("Dockerfile WORKDIR %q, mkimage %q", got, workingDir)
	}
	if got := final.last("EXPOSE"); got+"/tcp" != port && got != port {
		t.Errorf("Dockerfile EXPOSE %q, mkimage %q", got, port)
	}
	if got := jsonArray(t, "ENTRYPOINT", final.last("ENTRYPOINT")); !slices.Equal(got, entrypoint) {
		t.Errorf("Dockerfile ENTRYPOINT %q, mkimage %q", got, entrypoint)
	}
	if got := jsonArray(t, "CMD", final.last("CMD")); !slices.Equal(got, cmd) {
		t.Errorf("Dockerfile CMD %q, mkimage %q", got, cmd)
	}
	var gotEnv []string
	for _, e := range final.all("ENV") {
		gotEnv = append(gotEnv, strings.Fields(e)...)
	}
	slices.Sort(gotEnv)
	wantEnv := slices.Sorted(slices.Values(env))
	if !slices.Equal(gotEnv, wantEnv) {
		t.Errorf("Dockerfile ENV %q, mkimage %q", gotEnv, wantEnv)
	}
}

// stage is one FROM section of a Dockerfile: its instructions in order.
type stage []instruction

type instruction struct{ keyword, args string }

func (s stage) all(keyword string) []string {
	var out []string
	for _, in := range s {
		if in.keyword == keyword {
			out = append(out, in.args)
		}
	}
	return out
}

func (s stage) first(keyword string) string {
	if all := s.all(keyword); len(all) > 0 {
		return all[0]
	}
	return ""
}

func (s stage) last(keyword string) string {
	if all := s.all(keyword); len(all) > 0 {
		return all[len(all)-1]
	}
	return ""
}

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// backslash-continued lines and dropping comments. It knows only what this
// repository's Dockerfile uses (no heredocs, no escape directive).
func parseDockerfile(src string) []stage {
	var stages []stage
	var logical strings.Builder
	flush := func() {
		line := strings.TrimSpace(logical.String())
		logical.Reset()
		if line == "" {
			return
		}
		keyword, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(keyword), strings.TrimSpace(args)}
		if in.keyword == "FROM" || len(stages) == 0 {
			stages = append(stages, nil)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			logical.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		logical.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func jsonArray(t *testing.T, keyword, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil {
		t.Errorf("Dockerfile %s %s: want the JSON (exec) form: %v", keyword, args, err)
	}
	return out
}
