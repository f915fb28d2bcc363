package deploycheck

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Compose is the part of a Compose file the checks read.
type Compose struct {
	Services map[string]ComposeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

// ComposeService is one service of a Compose file.
type ComposeService struct {
	Image       string   `yaml:"image"`
	Build       any      `yaml:"build"`
	Command     []string `yaml:"command"`
	Ports       []string `yaml:"ports"`
	Volumes     []string `yaml:"volumes"`
	Profiles    []string `yaml:"profiles"`
	NetworkMode string   `yaml:"network_mode"`
	DependsOn   []string `yaml:"depends_on"`
}

// ParseCompose decodes a Compose file (short-form ports, volumes and
// depends_on lists, as deploy/compose.yaml uses) leniently: Compose has
// many more keys than these.
func ParseCompose(data []byte) (*Compose, error) {
	var c Compose
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return nil, fmt.Errorf("decode compose: %w", err)
	}
	return &c, nil
}
