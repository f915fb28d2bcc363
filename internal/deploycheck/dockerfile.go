package deploycheck

import (
	"errors"
	"fmt"
	"strings"
)

// Instruction is one Dockerfile instruction with its continuation lines
// joined.
type Instruction struct {
	Cmd  string // upper-cased keyword, e.g. "FROM"
	Args string // the rest of the instruction, continuations joined by a space
	Line int    // 1-based line of the keyword
}

// ParseDockerfile splits a Dockerfile into instructions. It understands
// comments, blank lines and backslash line continuations (blank and comment
// lines inside a continuation are dropped, as Docker does); it does not
// expand variables or parse heredocs.
func ParseDockerfile(data string) ([]Instruction, error) {
	var (
		out     []Instruction
		cur     *Instruction
		pending []string
	)
	for i, raw := range strings.Split(data, "\n") {
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if cur == nil {
			kw, rest, _ := strings.Cut(line, " ")
			if kw == "" {
				return nil, fmt.Errorf("line %d: continuation without an instruction", i+1)
			}
			cur = &Instruction{Cmd: strings.ToUpper(kw), Line: i + 1}
			line = rest
		}
		if line != "" {
			pending = append(pending, strings.TrimSpace(line))
		}
		if !cont {
			cur.Args = strings.Join(pending, " ")
			out = append(out, *cur)
			cur, pending = nil, nil
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: %s ends in a line continuation", cur.Line, cur.Cmd)
	}
	return out, nil
}

// CheckDockerfile checks the properties the deployment relies on: a
// multi-stage build whose final stage has a non-root USER, a HEALTHCHECK,
// an ENTRYPOINT, and base images pinned to a tag other than latest.
func CheckDockerfile(ins []Instruction) error {
	var errs []error
	var stages int
	var user, health, entry string
	named := make(map[string]bool) // stage names, usable as FROM images

	for _, in := range ins {
		switch in.Cmd {
		case "FROM":
			stages++
			user, health, entry = "", "", ""
			image := strings.Fields(in.Args)
			if len(image) == 0 {
				errs = append(errs, fmt.Errorf("line %d: FROM without an image", in.Line))
				continue
			}
			if !named[image[0]] {
				if err := checkPinned(image[0]); err != nil {
					errs = append(errs, fmt.Errorf("line %d: %w", in.Line, err))
				}
			}
			if len(image) == 3 && strings.EqualFold(image[1], "AS") {
				named[image[2]] = true
			}
		case "USER":
			user = in.Args
		case "HEALTHCHECK":
			health = in.Args
		case "ENTRYPOINT":
			entry = in.Args
		}
	}
	if stages < 2 {
		errs = append(errs, fmt.Errorf("%d build stage(s), want a multi-stage build", stages))
	}
	name, _, _ := strings.Cut(user, ":")
	switch name {
	case "":
		errs = append(errs, errors.New("final stage has no USER: it would run as root"))
	case "root", "0":
		errs = append(errs, fmt.Errorf("final stage runs as %q", user))
	}
	if health == "" || strings.EqualFold(health, "NONE") {
		errs = append(errs, errors.New("final stage has no HEALTHCHECK"))
	}
	if entry == "" {
		errs = append(errs, errors.New("final stage has no ENTRYPOINT"))
	}
	return errors.Join(errs...)
}

// checkPinned rejects an image reference without a tag (or with :latest);
// a build arg (${...}) as the tag is accepted.
func checkPinned(image string) error {
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	slash := strings.LastIndex(image, "/")
	_, tag, ok := strings.Cut(image[slash+1:], ":")
	if !ok {
		return fmt.Errorf("image %q has no tag", image)
	}
	if tag == "latest" {
		return fmt.Errorf("image %q uses the latest tag", image)
	}
	return nil
}
