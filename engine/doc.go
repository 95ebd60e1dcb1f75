// Package engine is Redoubt's execution engine: the one place where
// commands run (Redis's call() and the state around it in server.c).
//
// It owns three things.
//
// The engine lock. Every change to the dataset happens while it is held,
// so an execution unit (a command, a MULTI/EXEC block, a script) runs
// alone and the order in which units take effect is one total order.
// Lock waits; LockOrBusy waits unless the holder has declared itself
// busy (a script running past busy-reply-threshold), in which case the
// caller learns it at once. Do runs a function under the lock either
// way: it takes the lock, or hands the function to the busy holder,
// which runs it between two instructions of its script (Poll), so that
// other clients are answered (-BUSY, or SCRIPT KILL's effect) while the
// script runs. Mark and Discard drop the effects a rolled-back script
// recorded.
//
// The running unit's state: the command time (fixed for the whole unit,
// Redis's fixed_time_expire, so no key expires half-way through it),
// CLIENT NO-TOUCH, the calling client, the nesting depth of calls (EXEC
// calls its queued commands) and the dirty counter (server.dirty).
//
// One ordered sink for every effect of the unit. A unit's effects are
// recorded as they happen and leave through the engine alone:
//
//   - keys changed (signalModifiedKey): passed on at once to the Host,
//     which flags WATCHers and invalidates client-side caches, as Redis
//     does (tracking defers the caller's own invalidations itself);
//   - keyspace notifications: kept in order and published when the unit
//     ends, so that no subscriber sees a push in the middle of a reply,
//     and a script that is rolled back publishes nothing;
//   - keys made ready for blocked clients: kept, deduplicated, and
//     served when the unit ends, each served client being a unit of its
//     own;
//   - propagation: the commands the unit sends to the AOF and to
//     replicas, rewritten as Redis 7.0 rewrites them (see
//     command/propagate.go), with the deletions of keys that expired
//     during the unit in the order they happened.
//
// When the top-level unit ends, Flush hands these on in a fixed order,
// Redis's afterCommand: first the propagated commands to every Feed
// (wrapped in MULTI/EXEC when there is more than one, except for units
// that touch arbitrary keys or run from the cron), then the
// notifications, then the ready keys.
//
// Listeners of the keyspace's BeforeChange and BeforeFlush events (a
// background snapshot, an AOF rewrite, a script's undo log) are
// registered with the engine, several at a time.
//
// The engine is below the server: the server implements Host (WATCH,
// tracking, Pub/Sub, blocking) and Feed (the AOF, replicas) and calls
// Call for each command; command handlers see the engine through
// command.Engine and the keyspace through keyspace.Env.
package engine
