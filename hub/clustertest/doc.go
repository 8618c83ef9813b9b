// Package clustertest holds the failure tests of the hub's distributed
// mode, with every part a real process on loopback: a three-node
// PostgreSQL cluster managed by Patroni with one etcd, started once for
// the package by packaging/pgcluster.sh (synchronous replication to one
// standby), and two lienthong-hub nodes (built once) on it, while agencies
// upload, submit, download, acknowledge and post statuses through both
// nodes with shared/hubclient.
//
//   - TestLeaderPowerCut SIGKILLs the PostgreSQL leader's Patroni and
//     every one of its PostgreSQL processes at once, twice, under load.
//   - TestSyncStandbyKill does the same to the synchronous standby.
//   - TestHubNodeKill SIGKILLs one hub node; its agencies go on through
//     the other.
//   - TestNoAcknowledgementOnOneMachine kills both standbys: a submission
//     and its retry must go unanswered while the leader is alone (a
//     commit's wait for the standby must not end when the client gives
//     up), and be answered once a standby is back.
//
// After each of the first three, every document whose submission a node
// answered is delivered exactly once to each recipient, every status a
// node accepted reaches the sender, every receipt handed out is still
// served and included in the log, and the log's checkpoint signed before
// the failure is consistent with the one after (a consistency proof
// verifies). How
// long writes stopped (or an agency was cut off) is measured and logged,
// not asserted: the bound is minutes. Each test restores the cluster it
// found (killed members restarted by the script, three healthy members
// with a synchronous standby, both hub nodes up), so the order does not
// matter; TestMain tears everything down, and a watchdog process does so
// if the test binary dies.
//
// It needs patroni, etcd-server and PostgreSQL 15
// (packaging/install-deps.sh) and fails when they are missing. It takes
// about a minute and a half on two cores, most of it waiting for Patroni's
// TTL. The tests drive processes and have no shared state of their own
// worth the race detector, so the Makefile's race pass leaves them out.
// Run it with
//
//	go test ./hub/clustertest/
//
// The package has no code of its own.
package clustertest
