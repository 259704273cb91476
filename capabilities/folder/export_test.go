package folder

import "littleboxes/capabilities"

// SetHookBeforeWrite makes an applied plan call h before writing its i-th
// file; an error from h fails that write.
func SetHookBeforeWrite(inst capabilities.Instance, h func(i int, path string) error) {
	inst.(*Folder).hookBeforeWrite = h
}

// ApplyDiff and UnifiedDiff expose the diff for its property tests.
var (
	ApplyDiff   = applyDiff
	UnifiedDiff = unifiedDiff
	CleanPath   = cleanPath
)
