package deploycheck

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/config"
)

// TestConfigs parses the shipped proxy configurations with the strict
// parser serve uses and checks the settings the deployment relies on.
func TestConfigs(t *testing.T) {
	objs := loadManifests(t)
	tests := []struct {
		name       string
		give       []byte
		wantPolicy string
	}{
		{name: "config/config.yaml", give: readDeploy(t, "config/config.yaml"), wantPolicy: "/etc/dlpproxy/policy.yaml"},
		{name: "kubernetes/configmap.yaml", give: []byte(objs["ConfigMap/dlpproxy-config"].Labels("data")["config.yaml"]), wantPolicy: "/etc/dlpproxy/policy/policy.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse(tt.name, tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if c.Admin != "0.0.0.0:9090" || c.Listen != ":3128" {
				t.Errorf("listen %q admin %q, want :3128 and 0.0.0.0:9090", c.Listen, c.Admin)
			}
			if c.CADir != "/etc/dlpproxy/ca" || c.Policy != tt.wantPolicy {
				t.Errorf("ca_dir %q policy %q, want /etc/dlpproxy/ca and %s", c.CADir, c.Policy, tt.wantPolicy)
			}
			if c.PolicyPoll <= 0 {
				t.Error("policy polling is off: ConfigMap updates would need a SIGHUP")
			}
		})
	}
}
