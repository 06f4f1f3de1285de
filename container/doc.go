// Package container turns an image in the store into a ready-to-run sandbox
// Spec: each layer unpacked once per diffID (as an overlay lower dir), an
// ephemeral upper dir, the image config's command, environment, working
// dir and user, and the emulator a foreign-arch image needs (registered in
// the sandbox's private binfmt_misc instance). It does not pull images and
// does not run anything; callers hand the Spec to sandbox.Run.
package container
