// Package nodestest runs two hub nodes, each built by the production
// constructor (through hubtest), on one throwaway PostgreSQL database
// (pgtest), and checks that they serve as one hub: an agency may submit on
// one node and receive, acknowledge and post statuses on the other, a long
// poll on one node wakes when the other commits an event for its agency,
// the storage collection runs on one node at a time, and clients given
// both nodes' addresses (package hubclient, and the clerk's sync engine
// on top of it) move to the other node when one stops or loses an answer,
// losing and repeating nothing. It has only tests.
package nodestest
