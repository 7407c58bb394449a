package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxCompressed is the most the image may weigh on the wire.
const maxCompressed = 25_000_000

// hostCACerts is the bundle the tests put in the image (Debian has it).
const hostCACerts = "/etc/ssl/certs/ca-certificates.crt"

// TestImage builds the real signoff binary the way "make image" does, builds
// the image from it twice, and checks the result: byte-identical outputs, the
// run configuration, the files in the layer, and the size.
//
// With SIGNOFF_IMAGE set to a docker-archive ("make image-verify" passes
// dist/signoff-image.tar), it checks that tarball the same way.
func TestImage(t *testing.T) {
	if _, err := os.Stat(hostCACerts); err != nil {
		t.Fatalf("this test needs the build machine's CA bundle: %v", err)
	}
	dir := t.TempDir()
	bin := buildSignoff(t, dir)

	mkimage := buildMkimage(t, dir)
	start := time.Now()
	var out [2]string
	var cmds [2]*exec.Cmd
	var stdout, stderr [2]bytes.Buffer
	for i := range out {
		out[i] = filepath.Join(dir, "run"+string(rune('a'+i)))
		// Separate processes, side by side: compressing 40 MB under the race
		// detector ("make test" uses -race) would take half a minute.
		cmds[i] = exec.Command(mkimage, "-binary", bin, "-cacerts", hostCACerts,
			"-tar", filepath.Join(out[i], "signoff-image.tar"), "-oci", filepath.Join(out[i], "oci"),
			"-tag", "signoff:test", "-version", "test")
		cmds[i].Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		cmds[i].Stdout, cmds[i].Stderr = &stdout[i], &stderr[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("mkimage: %v\n%s", err, stderr[i].Bytes())
		}
		t.Log(strings.TrimSpace(stdout[i].String()))
	}
	t.Logf("two image builds took %s", time.Since(start).Round(time.Millisecond))

	t.Run("Reproducible", func(t *testing.T) {
		a, b := readTree(t, out[0]), readTree(t, out[1])
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("the two builds wrote different file sets: %d and %d files", len(a), len(b))
		}
		for name, data := range a {
			if !bytes.Equal(data, b[name]) {
				t.Errorf("%s differs between two builds of the same binary", name)
			}
		}
	})

	tarPath := filepath.Join(out[0], "signoff-image.tar")
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img, "test")

	t.Run("OCILayout", func(t *testing.T) {
		p, err := layout.FromPath(filepath.Join(out[0], "oci"))
		if err != nil {
			t.Fatal(err)
		}
		idx, err := p.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Manifests) != 1 {
			t.Fatalf("OCI layout holds %d manifests, want 1", len(m.Manifests))
		}
		d := m.Manifests[0]
		if d.MediaType != types.OCIManifestSchema1 || d.Annotations["org.opencontainers.image.ref.name"] != "signoff:test" {
			t.Errorf("OCI layout manifest: media type %s, annotations %v", d.MediaType, d.Annotations)
		}
		want, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		li, err := p.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := li.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("OCI layout config %s, docker-archive config %s: want the same image", got, want)
		}
	})

	t.Run("Skopeo", func(t *testing.T) {
		skopeo, err := exec.LookPath("skopeo")
		if err != nil {
			// make test installs it (scripts/test-deps.sh) and requires it;
			// a bare go test on a machine without it still checks the rest.
			if os.Getenv("SIGNOFF_REQUIRE_SKOPEO") != "" {
				t.Fatal("skopeo is not installed; run scripts/test-deps.sh (apt-get install skopeo)")
			}
			t.Skip("skopeo is not installed: the checks above already read the tarball")
		}
		raw, err := exec.Command(skopeo, "inspect", "--config", "docker-archive:"+tarPath).Output()
		if err != nil {
			t.Fatalf("skopeo inspect: %v", err)
		}
		var cf v1.ConfigFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			t.Fatal(err)
		}
		if cf.OS != "linux" || cf.Architecture != "amd64" || !slices.Equal(cf.Config.Entrypoint, entrypoint) || cf.Config.User != user {
			t.Errorf("skopeo reads os %q arch %q entrypoint %q user %q", cf.OS, cf.Architecture, cf.Config.Entrypoint, cf.Config.User)
		}
	})

	if p := os.Getenv("SIGNOFF_IMAGE"); p != "" {
		t.Run("SIGNOFF_IMAGE", func(t *testing.T) {
			img, err := tarball.ImageFromPath(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, img, "")
		})
	}
}

// buildSignoff builds cmd/signoff with the flags "make image" uses.
func buildSignoff(t *testing.T, dir string) string {
	t.Helper()
	return goBuild(t, filepath.Join("..", ".."), filepath.Join(dir, "signoff"), "./cmd/signoff",
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
}

// buildMkimage builds this command for the machine running the test.
func buildMkimage(t *testing.T, dir string) string {
	t.Helper()
	return goBuild(t, ".", filepath.Join(dir, "mkimage"), ".")
}

func goBuild(t *testing.T, moduleDir, out, pkg string, env ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build %s: %v", pkg, err)
	}
	start := time.Now()
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	t.Logf("go build %s took %s", pkg, time.Since(start).Round(time.Millisecond))
	return out
}

// checkImage checks the platform, the run configuration, the layer's files and
// the size. version is the expected version label; "" accepts any.
func checkImage(t *testing.T, img v1.Image, version string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64 (SPCS runs nothing else)", cf.OS, cf.Architecture)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/signoff"}) || !slices.Equal(c.Cmd, []string{"serve"}) {
		t.Errorf("entrypoint %q cmd %q, want [/signoff] [serve]", c.Entrypoint, c.Cmd)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (non-root)", c.User)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, want only 8080/tcp", c.ExposedPorts)
	}
	for _, kv := range []string{"SIGNOFF_ADDR=0.0.0.0:8080", "SIGNOFF_LOG_FORMAT=json"} {
		if !slices.Contains(c.Env, kv) {
			t.Errorf("env %q lacks %s", c.Env, kv)
		}
	}
	if c.WorkingDir != "/tmp" {
		t.Errorf("working dir %q, want /tmp (writable by the nonroot user)", c.WorkingDir)
	}
	for _, k := range []string{"org.opencontainers.image.title", "org.opencontainers.image.source", "org.opencontainers.image.version"} {
		if c.Labels[k] == "" {
			t.Errorf("label %s is missing", k)
		}
	}
	if version != "" && c.Labels["org.opencontainers.image.version"] != version {
		t.Errorf("version label %q, want %q", c.Labels["org.opencontainers.image.version"], version)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	compressed, err := layers[0].Size()
	if err != nil {
		t.Fatal(err)
	}
	files, order := layerFiles(t, layers[0])
	var uncompressed int64
	for _, f := range files {
		uncompressed += f.hdr.Size
	}
	t.Logf("image size: %.1f MB compressed, %.1f MB uncompressed", float64(compressed)/1e6, float64(uncompressed)/1e6)
	if compressed >= maxCompressed {
		t.Errorf("compressed layer is %d bytes, want under %d", compressed, maxCompressed)
	}

	if !sort.StringsAreSorted(order) {
		t.Errorf("layer entries are not sorted: %q", order)
	}
	for _, name := range order {
		h := files[name].hdr
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s is owned by %d:%d (%q:%q), want 0:0", name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.ModTime.Equal(files[order[0]].hdr.ModTime) {
			t.Errorf("%s mtime %s differs from %s's", name, h.ModTime, order[0])
		}
	}

	bin := wantFile(t, files, binaryPath, 0o755)
	checkStaticAMD64(t, bin)
	checkBinaryRuns(t, bin)
	certs := wantFile(t, files, caCertsPath, 0o644)
	if !x509.NewCertPool().AppendCertsFromPEM(certs) {
		t.Errorf("%s holds no PEM certificates", caCertsPath)
	}
	if !strings.Contains(string(wantFile(t, files, passwdPath, 0o644)), "\nnonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd lacks the nonroot user 65532")
	}
	wantFile(t, files, groupPath, 0o644)
	if f, ok := files[tmpPath]; !ok || f.hdr.Typeflag != tar.TypeDir || f.hdr.Mode&0o7777 != 0o1777 {
		t.Errorf("/tmp is missing or not a directory with mode 1777")
	}
}

type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles reads a layer's tar: each entry by name, and the names in order.
func layerFiles(t *testing.T, l v1.Layer) (map[string]layerFile, []string) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]layerFile{}
	var order []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = layerFile{hdr: h, data: data}
		order = append(order, h.Name)
	}
	return files, order
}

func wantFile(t *testing.T, files map[string]layerFile, name string, mode int64) []byte {
	t.Helper()
	f, ok := files[name]
	if !ok {
		t.Errorf("the layer has no /%s", name)
		return nil
	}
	if f.hdr.Typeflag != tar.TypeReg || f.hdr.Mode&0o7777 != mode || len(f.data) == 0 {
		t.Errorf("/%s: type %c mode %o size %d, want a non-empty regular file with mode %o",
			name, f.hdr.Typeflag, f.hdr.Mode, len(f.data), mode)
	}
	return f.data
}

// checkStaticAMD64 checks the binary is an x86-64 ELF with no interpreter,
// i.e. statically linked: the image has no libc.
func checkStaticAMD64(t *testing.T, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Errorf("/signoff is not an ELF binary: %v", err)
		return
	}
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("/signoff is built for %s, want x86-64", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("/signoff is dynamically linked; build it with CGO_ENABLED=0")
		}
	}
}

// checkBinaryRuns runs the image's own binary (when this machine can run
// linux/amd64) and expects its usage text.
func checkBinaryRuns(t *testing.T, bin []byte) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" || len(bin) == 0 {
		return
	}
	path := filepath.Join(t.TempDir(), "signoff")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "signoff serve") {
		t.Errorf("the image's /signoff help: %v\n%s", err, out)
	}
}

// readTree reads every file under dir, keyed by its path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRootfsDeterministic checks the layer tar on its own: equal inputs give
// equal bytes, and a different mtime changes them.
func TestRootfsDeterministic(t *testing.T) {
	at := time.Unix(1700000000, 0)
	a, err := rootfs([]byte("bin"), []byte("certs"), at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rootfs([]byte("bin"), []byte("certs"), at)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rootfs([]byte("bin"), []byte("certs"), at.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two layer tars from the same inputs differ")
	}
	if bytes.Equal(a, c) {
		t.Error("the mtime does not reach the layer tar")
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		epoch string
	}{
		{"BadEpoch", nil, "yesterday"},
		{"NegativeEpoch", nil, "-1"},
		{"BadTag", []string{"-tag", "Not A Tag"}, ""},
		{"ExtraArgument", []string{"extra"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "SOURCE_DATE_EPOCH" {
					return tc.epoch
				}
				return ""
			}
			if _, err := parseFlags(tc.args, getenv, io.Discard); err == nil {
				t.Error("want an error")
			}
		})
	}
	o, err := parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !o.created.Equal(time.Unix(0, 0)) {
		t.Errorf("without SOURCE_DATE_EPOCH the creation time is %s, want the Unix epoch", o.created)
	}
}

// TestLayoutRefusesForeignDir checks -oci never deletes a directory that is
// not an OCI layout.
func TestLayoutRefusesForeignDir(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := buildImage(options{binary: keep, caCerts: keep, created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeLayout(dir, "signoff:test", img); err == nil {
		t.Error("writeLayout replaced a directory that is not an OCI layout")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the directory's file is gone: %v", err)
	}
}
