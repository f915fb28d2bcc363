package deploycheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCompose checks deploy/compose.yaml statically: the three services,
// their published ports (Prometheus and Grafana, which have no or default
// credentials, on 127.0.0.1 only), and that every bind mount points at a file of
// deploy/ (the CA folder is created by `dlpproxy ca init`).
func TestCompose(t *testing.T) {
	c, err := ParseCompose(readDeploy(t, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantPorts := map[string]string{"dlpproxy": "3128:3128", "prometheus": "127.0.0.1:9091:9090", "grafana": "127.0.0.1:3000:3000"}
	loopbackOnly := map[string]bool{"prometheus": true, "grafana": true}
	for name, port := range wantPorts {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("service %s missing", name)
			continue
		}
		if !slices.Contains(s.Ports, port) {
			t.Errorf("service %s ports %v, want %s", name, s.Ports, port)
		}
		for _, p := range s.Ports {
			if loopbackOnly[name] && !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %s beyond loopback, want 127.0.0.1:HOST:CONTAINER", name, p)
			}
		}
		if s.Image == "" || strings.HasSuffix(s.Image, ":latest") || !strings.Contains(s.Image, ":") {
			t.Errorf("service %s image %q is not pinned", name, s.Image)
		}
	}
	proxy := c.Services["dlpproxy"]
	if proxy.Build == nil {
		t.Error("dlpproxy is not built from deploy/Dockerfile")
	}
	// TestConfigs checks the settings in the file (admin on 0.0.0.0:9090, paths).
	if !slices.Contains(proxy.Command, "--config=/etc/dlpproxy/config.yaml") || !slices.Contains(proxy.Volumes, "./config/config.yaml:/etc/dlpproxy/config.yaml:ro") {
		t.Errorf("dlpproxy must run with the mounted deploy/config/config.yaml: command %v", proxy.Command)
	}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("service %s: named volume %q not declared", name, src)
				}
				continue
			}
			if src == "./ca" || src == ".." {
				continue
			}
			if _, err := os.Stat(filepath.Join(deployDir, src)); err != nil {
				t.Errorf("service %s mounts %s at %s: %v", name, src, dst, err)
			}
		}
	}
	gen := c.Services["trafficgen"]
	if gen.NetworkMode != "service:dlpproxy" || !slices.Contains(gen.Profiles, "demo") {
		t.Errorf("trafficgen must be in profile demo and share the proxy's network (127.0.0.1 only): %+v", gen)
	}
	// The proxy refuses loopback destinations under config.yaml: the
	// generator's origin must be named by the proxy container's name.
	if k := slices.Index(gen.Command, "-origin-host"); k < 0 || k+1 >= len(gen.Command) || gen.Command[k+1] != "dlpproxy" {
		t.Errorf("trafficgen must name its origin -origin-host dlpproxy (config.yaml refuses loopback): %v", gen.Command)
	}
}
