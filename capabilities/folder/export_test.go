package folder

import "littleboxes/capabilities"

// SetHookBeforeWrite makes an applied plan call h before writing its i-th
// file; an error from h fails that write.
func SetHookBeforeWrite(inst capabilities.Instance, h func(i int, path string) error) {
	inst.(*Folder).hookBeforeWrite = h
}

// CleanPath exposes the path check for its fuzz test.
var CleanPath = cleanPath
