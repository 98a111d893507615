package libcontainer

import (
	"os"
	"strings"

	"github.com/moby/sys/user"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// SetHome sets HOME from the container's /etc/passwd (read under root,
// never following a symlink out of it) when the process has no HOME or an
// empty one, as runc does: the user's home directory, else "/".
func SetHome(p *configs.Process, root string) {
	idx := -1
	for i, kv := range p.Env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			if v != "" {
				return
			}
			idx = i
		}
	}
	home := "/"
	if f := openInRoot(root, "etc/passwd"); f != nil {
		users, err := user.ParsePasswdFilter(f, func(u user.User) bool { return u.Uid == int(p.UID) })
		f.Close()
		if err == nil && len(users) > 0 && users[0].Home != "" {
			home = users[0].Home
		}
	}
	if idx >= 0 {
		p.Env[idx] = "HOME=" + home
	} else {
		p.Env = append(p.Env, "HOME="+home)
	}
}

// openInRoot opens path inside root with every symlink resolved in root.
func openInRoot(root, path string) *os.File {
	dfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(dfd)
	fd, err := unix.Openat2(dfd, path, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), path)
}
