// Command mkimage builds Signoff's container image without a Docker daemon or
// a registry: an empty base plus one layer holding the static binary, the CA
// bundle, /etc/passwd with the nonroot user 65532, and /tmp. The image is
// byte-reproducible: the same binary, CA bundle, flags and SOURCE_DATE_EPOCH
// give the same files, digests and tarball.
//
// It writes a docker-archive tarball (for skopeo, crane, "docker load") and,
// with -oci, an OCI image layout. "make image" runs it; ../../Dockerfile
// describes the same image for Docker users, and a test keeps the two in step.
//
//	go run ./tools/mkimage -binary dist/signoff -tar dist/signoff-image.tar -oci dist/oci
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's run configuration. ../../Dockerfile must say the same
// (dockerfile_test.go checks it).
var (
	entrypoint = []string{"/signoff"}
	cmd        = []string{"serve"}
	user       = "65532:65532"
	port       = "8080/tcp"
	workingDir = "/tmp"
	// env: SPCS routes the endpoint's port to the container, so listen on
	// every interface; logs go to the event table as JSON.
	env = []string{"SIGNOFF_ADDR=0.0.0.0:8080", "SIGNOFF_LOG_FORMAT=json"}
)

// Where the layer puts its files (tar paths have no leading slash).
const (
	binaryPath  = "signoff"
	caCertsPath = "etc/ssl/certs/ca-certificates.crt"
	passwdPath  = "etc/passwd"
	groupPath   = "etc/group"
	tmpPath     = "tmp/"
)

// passwd and group name the nonroot user the image runs as, so tools that
// look the uid up (and Go's os/user) find it.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n"
	group = "root:x:0:\n" +
		"nonroot:x:65532:\n"
)

type options struct {
	binary  string    // the linux/amd64 static binary
	caCerts string    // PEM CA bundle copied to /etc/ssl/certs/ca-certificates.crt
	tarPath string    // docker-archive output
	ociDir  string    // OCI layout output; empty for none
	tag     string    // tag recorded in the docker-archive
	version string    // org.opencontainers.image.version
	source  string    // org.opencontainers.image.source
	created time.Time // image creation time and every file's mtime
}

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mkimage:", err)
		}
		os.Exit(1)
	}
}

// run parses the flags, builds the image and writes it.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	img, err := buildImage(o)
	if err != nil {
		return err
	}
	if err := writeTarball(o.tarPath, o.tag, img); err != nil {
		return err
	}
	if o.ociDir != "" {
		if err := writeLayout(o.ociDir, o.tag, img); err != nil {
			return err
		}
	}
	return report(stdout, o, img, time.Since(start))
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.binary, "binary", "dist/signoff", "the static linux/amd64 signoff `binary`")
	fs.StringVar(&o.caCerts, "cacerts", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle `file` to include")
	fs.StringVar(&o.tarPath, "tar", "dist/signoff-image.tar", "docker-archive tarball to write")
	fs.StringVar(&o.ociDir, "oci", "", "OCI image layout `directory` to write (replaced if it already holds a layout)")
	fs.StringVar(&o.tag, "tag", "signoff:dev", "image `reference` recorded in the tarball")
	fs.StringVar(&o.version, "version", "dev", "org.opencontainers.image.version label")
	fs.StringVar(&o.source, "source", "https://github.com/signoff/signoff", "org.opencontainers.image.source label")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: mkimage [options]\n\nBuilds Signoff's image offline. SOURCE_DATE_EPOCH (seconds) sets the creation time\nand every file's mtime; without it they are the Unix epoch.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.created = time.Unix(0, 0).UTC()
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return o, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since the Unix epoch", s)
		}
		o.created = time.Unix(sec, 0).UTC()
	}
	if _, err := name.NewTag(o.tag); err != nil {
		return o, fmt.Errorf("-tag: %w", err)
	}
	return o, nil
}

// buildImage assembles the image in memory: nothing here reads the clock,
// the environment or a registry.
func buildImage(o options) (v1.Image, error) {
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return nil, fmt.Errorf("binary: %w (build it with \"make image\")", err)
	}
	certs, err := os.ReadFile(o.caCerts)
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %w", err)
	}
	layerTar, err := rootfs(bin, certs, o.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.DefaultCompression),
		tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.created},
			CreatedBy: "mkimage: /signoff, CA certificates, /etc/passwd, /etc/group, /tmp",
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = "amd64"
	cf.Created = v1.Time{Time: o.created}
	cf.Config = v1.Config{
		Entrypoint:   entrypoint,
		Cmd:          cmd,
		User:         user,
		Env:          env,
		WorkingDir:   workingDir,
		ExposedPorts: map[string]struct{}{port: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "signoff",
			"org.opencontainers.image.source":  o.source,
			"org.opencontainers.image.version": o.version,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// rootfs returns the layer's uncompressed tar: sorted, owned by 0:0, every
// mtime the same, so equal inputs give equal bytes.
func rootfs(bin, certs []byte, mtime time.Time) ([]byte, error) {
	type entry struct {
		name string
		mode int64
		data []byte // nil for a directory
	}
	// In lexical order of name.
	entries := []entry{
		{name: "etc/", mode: 0o755},
		{name: groupPath, mode: 0o644, data: []byte(group)},
		{name: passwdPath, mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: caCertsPath, mode: 0o644, data: certs},
		{name: binaryPath, mode: 0o755, data: bin},
		{name: tmpPath, mode: 0o1777},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if e.data == nil {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeTarball writes the docker-archive through a temporary file, so a
// failed run never leaves half a tarball behind.
func writeTarball(path, tag string, img v1.Image) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// writeLayout writes a fresh OCI image layout holding only img. It replaces
// dir only when dir is missing, empty, or already an OCI layout.
func writeLayout(dir, tag string, img v1.Image) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("-oci %s: not empty and not an OCI layout; refusing to replace it", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
	}))
}

// report prints what was built: digest and sizes.
func report(w io.Writer, o options, img v1.Image, took time.Duration) error {
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var compressed, uncompressed int64
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return err
		}
		compressed += n
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		m, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
		uncompressed += m
	}
	fmt.Fprintf(w, "image %s (linux/amd64) %s\n", o.tag, digest)
	fmt.Fprintf(w, "  layer: %.1f MB compressed, %.1f MB uncompressed\n", mb(compressed), mb(uncompressed))
	fmt.Fprintf(w, "  wrote %s", o.tarPath)
	if o.ociDir != "" {
		fmt.Fprintf(w, " and %s", o.ociDir)
	}
	fmt.Fprintf(w, " in %s\n", took.Round(time.Millisecond))
	return nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }
