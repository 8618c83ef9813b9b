package pgstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultConnectTimeout bounds each attempt to connect to the database
// when the URL sets no connect_timeout, so that a hub given a host that
// never answers reports it instead of hanging.
const DefaultConnectTimeout = 10 * time.Second

// Errors of a database the hub cannot use, found when it opens the store.
var (
	// ErrStandby reports a server in recovery (a streaming standby) given
	// as the database to write to.
	ErrStandby = errors.New("the database server is a read-only standby")
	// ErrReadOnly reports a primary that makes the hub's transactions
	// read-only (default_transaction_read_only).
	ErrReadOnly = errors.New("the database makes transactions read-only")
)

// parseURL parses a database URL (a libpq URL or key=value string) into
// a pool configuration, with DefaultConnectTimeout and the TCP keepalives
// of the log lock (keepalives) unless the URL sets its own. An empty URL
// is refused: libpq would take the server from the
// environment (PGHOST, …), which a hub's configuration should say.
func parseURL(url string) (*pgxpool.Config, error) {
	if strings.TrimSpace(url) == "" {
		return nil, errors.New("no database URL: set postgres_url, e.g. \"postgres://lienthong@db.example:5432/lienthong\" or \"host=db.example dbname=lienthong user=lienthong\"")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn's message shows the URL with its password masked.
		return nil, fmt.Errorf("the database URL (postgres_url) does not parse; want postgres://user@host:port/dbname?options or key=value pairs: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	for k, v := range keepalives {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	return cfg, nil
}

// checkServer connects once and refuses a server the hub cannot write
// to, each refusal saying what is wrong and what to do about it. It
// returns warnings about settings that weaken what an acknowledgement
// means.
func checkServer(ctx context.Context, cfg *pgx.ConnConfig) (warnings []string, err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, explainConnect(err, cfg)
	}
	defer conn.Close(context.Background())
	var recovery bool
	var readOnly, fsync, syncCommit string
	err = conn.QueryRow(ctx, `SELECT pg_is_in_recovery(), current_setting('transaction_read_only'),
		current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&recovery, &readOnly, &fsync, &syncCommit)
	if err != nil {
		return nil, fmt.Errorf("check the database server at %s: %w", servers(cfg), err)
	}
	where := conn.PgConn().Conn().RemoteAddr().String()
	if fsync == "off" {
		warnings = append(warnings, "fsync is off on the database server: a power cut may lose or corrupt what the hub acknowledged")
	}
	if syncCommit == "off" {
		warnings = append(warnings, "synchronous_commit is off for the hub's role or database: a crash of the database may lose what the hub acknowledged")
	}
	switch {
	case recovery:
		return nil, fmt.Errorf("%w: the server at %s is in recovery (pg_is_in_recovery() is true) and the hub writes; "+
			"give the primary's address in postgres_url, or list every node (host=a,b,c) with target_session_attrs=read-write "+
			"so that the hub connects to whichever is the primary", ErrStandby, where)
	case readOnly == "on":
		return nil, fmt.Errorf("%w: the server at %s starts every transaction read-only (default_transaction_read_only is on for user %q or database %q); "+
			"the hub writes: turn it off for the hub's role (ALTER ROLE … SET default_transaction_read_only = off)", ErrReadOnly, where, cfg.User, cfg.Database)
	}
	return warnings, nil
}

// explainConnect turns a failure to connect into what an operator should
// check; the driver's own error follows.
func explainConnect(err error, cfg *pgx.ConnConfig) error {
	at := servers(cfg)
	err = oneLine{err}
	var pe *pgconn.PgError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &pe) && pe.Code == "28P01":
		return fmt.Errorf("the database at %s refused the password of user %q: check the password in the passfile (PGPASSFILE, or passfile= in postgres_url): %w", at, cfg.User, err)
	case errors.As(err, &pe) && pe.Code == "28000":
		return fmt.Errorf("the database at %s refused user %q: check the user in postgres_url, that the role exists and may log in, and that pg_hba.conf lets it reach database %q from this host: %w", at, cfg.User, cfg.Database, err)
	case errors.As(err, &pe) && pe.Code == "3D000":
		return fmt.Errorf("database %q does not exist at %s: create it (createdb -O %s %s) or fix dbname in postgres_url: %w", cfg.Database, at, cfg.User, cfg.Database, err)
	case errors.As(err, &pe) && pe.Code == "53300":
		return fmt.Errorf("the database at %s has no connection left: raise max_connections, or lower the hub nodes' pool sizes (pool_max_conns in postgres_url): %w", at, err)
	case errors.As(err, &pe) && pe.Code == "57P03":
		return fmt.Errorf("the database at %s is starting up, shutting down or recovering: start the hub when it accepts connections, or point postgres_url at the primary: %w", at, err)
	case errors.As(err, &pe):
		return fmt.Errorf("the database at %s refused the connection: %w", at, err)
	case errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &verify):
		return fmt.Errorf("the database server's certificate at %s does not verify: check sslrootcert and the host name in postgres_url: %w", at, err)
	case pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer from the database at %s within %s: check the host and port in postgres_url, and that no firewall drops the hub's packets (connect_timeout= in postgres_url sets the wait): %w",
			at, cfg.ConnectTimeout, err)
	}
	return fmt.Errorf("cannot reach the database at %s: check the host and port in postgres_url and that PostgreSQL runs and listens there: %w", at, err)
}

// servers names the server or servers a configuration connects to.
func servers(cfg *pgx.ConnConfig) string {
	name := func(host string, port uint16) string {
		if strings.HasPrefix(host, "/") {
			return fmt.Sprintf("%s/.s.PGSQL.%d", host, port)
		}
		return net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	all := []string{name(cfg.Host, cfg.Port)}
	for _, f := range cfg.Fallbacks {
		if n := name(f.Host, f.Port); n != all[len(all)-1] {
			all = append(all, n)
		}
	}
	return strings.Join(all, ", ")
}

// explainMigrate adds what to do to the failures of Migrate an operator
// can mend.
func explainMigrate(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, ErrSchema):
		return fmt.Errorf("%w; this hub is older than the database it was given: run the hub version that wrote it, or a newer one, on every node", err)
	case errors.As(err, &pe) && pe.Code == "42501":
		return fmt.Errorf("%w; the hub's role may not create its tables: make it the owner of the database (ALTER DATABASE … OWNER TO …) or grant it CREATE on schema public", err)
	}
	return err
}

// oneLine shows an error on one line: the driver puts each address it
// tried on a line of its own.
type oneLine struct{ error }

func (e oneLine) Error() string {
	return strings.NewReplacer(":\n\t", ": ", "\n\t", "; ", "\n", "; ").Replace(e.error.Error())
}

func (e oneLine) Unwrap() error { return e.error }
