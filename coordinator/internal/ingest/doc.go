// Package ingest validates result batches from probes and stores them with
// group commit: many streams' batches share one SQLite transaction, and each
// stream learns when its batch is durable so it can acknowledge it. Newly
// stored results are published to a Broadcaster for WatchResults.
package ingest
