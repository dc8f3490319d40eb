package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// machine describes where and with what the numbers were taken.
type machine struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	VM         bool              `json:"vm"`
	Kernel     string            `json:"kernel"`
	Go         string            `json:"go"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	Python     string            `json:"python,omitempty"`
	Gevent     string            `json:"gevent,omitempty"`
	Greenlet   string            `json:"greenlet,omitempty"`
	Peers      map[string]string `json:"peers,omitempty"` // impl id -> module@version
}

func describeMachine(root string, procs int) machine {
	m := machine{Cores: runtime.NumCPU(), Go: goVersion(), GOMAXPROCS: procs}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name":
				if m.CPU == "" {
					m.CPU = strings.TrimSpace(v)
				}
			case "flags":
				m.VM = m.VM || strings.Contains(" "+v+" ", " hypervisor ")
			}
		}
	}
	if m.CPU == "" {
		m.CPU = runtime.GOARCH
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = runtime.GOOS + " " + strings.TrimSpace(string(data))
	} else {
		m.Kernel = runtime.GOOS
	}
	m.Peers = peerVersions(filepath.Join(root, peersPkg))
	return m
}

// goVersion is the version of the go command that builds the benchmarks.
func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// peerVersions reads the peers' module versions from the bench/peers module.
func peerVersions(dir string) map[string]string {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "all")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	versions := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, version, _ := strings.Cut(strings.TrimSpace(line), " ")
		for id, mod := range peerModules {
			if path == mod {
				versions[id] = mod + "@" + version
			}
		}
	}
	return versions
}

// probeGevent returns the versions of Python, gevent and greenlet that the
// interpreter runs, or errNoGevent.
func probeGevent(python string) (py, gevent, greenlet string, err error) {
	const script = `import json, sys, gevent, greenlet
print(json.dumps({"python": sys.version.split()[0], "gevent": gevent.__version__, "greenlet": greenlet.__version__}))`
	var stderr bytes.Buffer
	cmd := exec.Command(python, "-c", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", "", "", fmt.Errorf("%w (%s: %v %s)", errNoGevent, python, err, lastLine(stderr.String()))
	}
	var v struct{ Python, Gevent, Greenlet string }
	if err := json.Unmarshal(out, &v); err != nil {
		return "", "", "", fmt.Errorf("%s: %v", python, err)
	}
	return v.Python, v.Gevent, v.Greenlet, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
