package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"littleboxes/app/notify"
)

// SettingsFile is the person's settings' file in the data directory.
const SettingsFile = "settings.json"

// Settings are the person's choices about the app itself (not about an
// army), kept in DATA/settings.json.
type Settings struct {
	// KeepRunning keeps the engine running after the last window (or
	// serve) closes, so the army goes on watching; off, an engine a front
	// end started exits a while (DefaultIdleExit) after the last one
	// detaches. It applies to engines started after it changes.
	KeepRunning bool `json:"keepRunning"`
	// Mute silences the desktop notifications the engine sends (all, or
	// approvals, cordons, dead letters apart).
	Mute notify.Mutes `json:"mute"`
}

// loadSettings reads dir's settings; a missing file is the defaults.
// Unknown fields are ignored (a newer version's).
func loadSettings(dir string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(filepath.Join(dir, SettingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read the settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("read the settings (%s): %w", filepath.Join(dir, SettingsFile), err)
	}
	return s, nil
}

// saveSettings writes dir's settings, owner-only, replacing the file at
// once (a crash leaves the old or the new, never half).
func saveSettings(dir string, s Settings) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save the settings: %w", err)
	}
	f, err := os.CreateTemp(dir, SettingsFile+".*")
	if err != nil {
		return fmt.Errorf("save the settings: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	if serr := f.Sync(); werr == nil {
		werr = serr
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), filepath.Join(dir, SettingsFile))
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("save the settings: %w", werr)
	}
	return nil
}

// keepRunning reports whether the person chose to keep dir's engine
// running after the last front end closes (false when unreadable). An
// engine started with --idle-exit may ask it again before it exits.
func keepRunning(dir string) bool {
	s, err := loadSettings(dir)
	return err == nil && s.KeepRunning
}

// settingsDir returns the data directory of the open API.
func (a *API) settingsDir() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return "", errors.New("the app is closed")
	case a.dataDir == "":
		return "", errNotOpen
	}
	return a.dataDir, nil
}

// Settings returns the person's settings.
func (a *API) Settings() (Settings, error) {
	if v, ok, err := forward[Settings](a, "Settings"); ok {
		return v, err
	}
	dir, err := a.settingsDir()
	if err != nil {
		return Settings{}, err
	}
	return loadSettings(dir)
}

// SetMute sets which desktop notifications are muted, and returns the
// settings as saved.
func (a *API) SetMute(m notify.Mutes) (Settings, error) {
	if v, ok, err := forward[Settings](a, "SetMute", m); ok {
		return v, err
	}
	return a.updateSettings(func(s *Settings) { s.Mute = m })
}

// SetKeepRunning sets whether the engine keeps running after the last
// window closes, and returns the settings as saved.
func (a *API) SetKeepRunning(on bool) (Settings, error) {
	if v, ok, err := forward[Settings](a, "SetKeepRunning", on); ok {
		return v, err
	}
	return a.updateSettings(func(s *Settings) { s.KeepRunning = on })
}

// updateSettings changes the settings with fn and saves them, one change
// at a time.
func (a *API) updateSettings(fn func(*Settings)) (Settings, error) {
	dir, err := a.settingsDir()
	if err != nil {
		return Settings{}, err
	}
	a.settingsMu.Lock()
	defer a.settingsMu.Unlock()
	s, err := loadSettings(dir)
	if err != nil {
		return Settings{}, err
	}
	fn(&s)
	if err := saveSettings(dir, s); err != nil {
		return Settings{}, err
	}
	return s, nil
}
