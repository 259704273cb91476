package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// staticFacts holds flows computed once by StaticFacts.
type staticFacts struct {
	flows  map[string]capabilities.Flow
	tables map[string]*capabilities.Table
	items  map[string][]Item
}

func (s *staticFacts) Flow(name string) (capabilities.Flow, error) {
	f, ok := s.flows[name]
	if !ok {
		return capabilities.Flow{}, fmt.Errorf("capability %q: %w", name, ErrDangling)
	}
	return f, nil
}

// Table implements Tables.
func (s *staticFacts) Table(name string) (*capabilities.Table, bool) {
	t, ok := s.tables[name]
	return t, ok
}

func (s *staticFacts) Items(name string) ([]Item, error) {
	its, ok := s.items[name]
	if !ok {
		return nil, fmt.Errorf("capability %q is not the each of any template: %w", name, ErrDangling)
	}
	return its, nil
}

// StaticFacts is StaticFactsWith without a secrets reader: each capability
// is handed its secret references and no reader, so provisioning must not
// need them.
func StaticFacts(ctx context.Context, a *army.Army) (Facts, func(), error) {
	return StaticFactsWith(ctx, a, nil)
}

// StaticFactsWith provisions every capability of a, handing each its
// secret references and sec (nil for none: provisioning then must not need
// a secret; an IMAP mailbox does, to log in and list its threads), and
// records its flow; for each capability a template spawns
// over, it lists the items and provisions each item's scoped instance
// (capabilities.Enumerator's Items and Scope). The returned func cleans up
// every instance; call it when done with the Facts. Every capability that
// fails is reported, joined; on failure nothing is left to clean up.
func StaticFactsWith(ctx context.Context, a *army.Army, sec capabilities.Secrets) (Facts, func(), error) {
	s := &staticFacts{flows: map[string]capabilities.Flow{}, tables: map[string]*capabilities.Table{}, items: map[string][]Item{}}
	var insts []capabilities.Instance
	cleanup := func() {
		for _, inst := range insts {
			_ = capabilities.Cleanup(inst)
		}
		insts = nil
	}
	each := map[string]bool{}
	for _, ag := range a.Agents {
		if ag.Template != nil {
			each[ag.Template.Each] = true
		}
	}
	var errs []error
	for _, c := range a.Capabilities {
		props, err := propsJSON(a, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("capability %q: %w", c.Name, err))
			continue
		}
		inst, err := capabilities.New(ctx, c.Kind, props, &capabilities.Host{Instance: c.Name, SecretRefs: c.Secrets, Secrets: sec})
		if err != nil {
			errs = append(errs, fmt.Errorf("capability %q: %w", c.Name, err))
			continue
		}
		insts = append(insts, inst)
		s.flows[c.Name] = inst.Flow()
		s.tables[c.Name] = capabilities.TableOf(inst)
		if !each[c.Name] {
			continue
		}
		its, err := scopedItems(ctx, c, inst, sec, &insts)
		if err != nil {
			errs = append(errs, fmt.Errorf("capability %q: %w", c.Name, err))
			continue
		}
		s.items[c.Name] = its
	}
	if len(errs) > 0 {
		cleanup()
		return nil, func() {}, errors.Join(errs...)
	}
	return s, cleanup, nil
}

// scopedItems lists the items of an enumerating instance and provisions each
// item's scoped instance for its flow, adding the instances to insts.
func scopedItems(ctx context.Context, c *army.Capability, inst capabilities.Instance, sec capabilities.Secrets, insts *[]capabilities.Instance) ([]Item, error) {
	en, ok := inst.(capabilities.Enumerator)
	if !ok {
		return nil, fmt.Errorf("a template spawns over it, but kind %s does not enumerate items", c.Kind)
	}
	ids, err := en.Items(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing items: %w", err)
	}
	its := make([]Item, 0, len(ids))
	for _, id := range ids {
		props, err := en.Scope(id)
		if err != nil {
			return nil, fmt.Errorf("item %q: %w", id, err)
		}
		si, err := capabilities.New(ctx, c.Kind, props, &capabilities.Host{Instance: c.Name + "[" + id + "]", SecretRefs: c.Secrets, Secrets: sec})
		if err != nil {
			return nil, fmt.Errorf("item %q: %w", id, err)
		}
		*insts = append(*insts, si)
		its = append(its, Item{ID: id, Flow: si.Flow(), Table: capabilities.TableOf(si)})
	}
	return its, nil
}

// propsJSON encodes a capability's props for capabilities.New, with paths
// relative to the army file resolved against its folder.
func propsJSON(a *army.Army, c *army.Capability) ([]byte, error) {
	props := a.ResolvedProps(c)
	if props == nil {
		return nil, nil
	}
	b, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("props as JSON: %w", err)
	}
	return b, nil
}
