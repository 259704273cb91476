//go:build !unix

package folder

// On systems without FIFOs in the file system, files and directories are
// opened plainly; the stat before each open still refuses what is not a
// regular file or directory.
const (
	openFileFlags = 0
	openDirFlags  = 0
)
