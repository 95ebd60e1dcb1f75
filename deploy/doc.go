// Package deploy holds Redoubt's deployment manifests (kubernetes/); it
// has no code, and its test checks the manifests against the server's
// configuration rules.
package deploy
