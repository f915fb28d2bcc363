package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/ca"
	"github.com/dlpproxy/dlpproxy/internal/config"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
	"github.com/dlpproxy/dlpproxy/internal/metrics"
	"github.com/dlpproxy/dlpproxy/internal/policy"
	"github.com/dlpproxy/dlpproxy/internal/proxy"
	"github.com/dlpproxy/dlpproxy/internal/window"
)

// runServe runs "dlpproxy serve": flags override the config file, which
// overrides the embedded default. It returns when SIGINT or SIGTERM has
// drained the listeners; SIGHUP reopens the log file (after logrotate) and
// reloads the policy.
func runServe(args []string, _, stderr io.Writer) int {
	cfg, code := serveConfig(args, stderr)
	if cfg == nil {
		return code
	}
	logger, logSink, err := accesslog.New(accesslog.Options{Level: cfg.Log.Level, File: cfg.Log.File, Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "dlpproxy: serve: %v\n", err)
		return exitError
	}
	defer func() { _ = logSink.Close() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan os.Signal, 1)
	// Not from ctx: logrotate may signal while SIGTERM drains in-flight
	// requests, whose access lines must then go to the new file.
	hupCtx, stopHangups := context.WithCancel(context.Background())
	var hangups sync.WaitGroup
	hangups.Go(func() { reopenOnHangup(hupCtx, hup, logSink, logger, reload) })
	defer func() { stopHangups(); hangups.Wait() }() // ends before the log file is closed, also when serve fails
	if err := serve(ctx, cfg, serveDeps{logger: logger, reload: reload}); err != nil {
		logger.Error("serve", zap.Error(err))
		return exitError
	}
	return exitOK
}

// reopenOnHangup reopens the log file on every SIGHUP, then passes the
// signal on to reload, until ctx ends. A log file that cannot be reopened
// stays in use, and the error is logged to it.
func reopenOnHangup(ctx context.Context, hup <-chan os.Signal, sink *accesslog.Sink, logger *zap.Logger, reload chan<- os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-hup:
			if err := sink.Reopen(); err != nil {
				logger.Error("log file", zap.Error(err))
			} else if sink.Path() != "" {
				logger.Info("log file reopened", zap.String("file", sink.Path()))
			}
			select {
			case reload <- sig:
			default: // a reload is pending already
			}
		}
	}
}

// serveConfig parses the flags and loads the configuration; nil and an
// exit code on failure.
func serveConfig(args []string, stderr io.Writer) (*config.Config, int) {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	file := fl.String("config", "", "configuration file (default: the embedded default)")
	listen := fl.String("listen", "", "proxy listen address, e.g. :3128")
	admin := fl.String("admin", "", "admin listen address (/metrics, /healthz, /readyz)")
	caDir := fl.String("ca-dir", "", "interception CA directory (from 'dlpproxy ca init')")
	pol := fl.String("policy", "", "policy file (default: the embedded default policy)")
	if err := fl.Parse(args); err != nil || fl.NArg() != 0 {
		return nil, exitUsage
	}
	cfg := config.Default()
	if *file != "" {
		var err error
		if cfg, err = config.Load(*file); err != nil {
			fmt.Fprintf(stderr, "dlpproxy: serve: %v\n", err)
			return nil, exitError
		}
	}
	for _, o := range []struct {
		flag string
		dst  *string
	}{{*listen, &cfg.Listen}, {*admin, &cfg.Admin}, {*caDir, &cfg.CADir}, {*pol, &cfg.Policy}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "dlpproxy: serve: %v\n", err)
		return nil, exitError
	}
	return cfg, exitOK
}

// serveDeps are serve's injected dependencies.
type serveDeps struct {
	logger *zap.Logger
	reload <-chan os.Signal // a receive reloads the policy; nil never
	now    func() time.Time
	// ready, if set, is called with the bound proxy and admin addresses.
	ready func(proxyAddr, adminAddr string)
}

// serve runs the proxy and admin listeners until ctx is done, then drains.
func serve(ctx context.Context, cfg *config.Config, d serveDeps) error {
	log := d.logger
	now := d.now
	if now == nil {
		now = time.Now
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.SetBuildInfo(version)

	current, runWatcher, err := loadPolicy(cfg, log, m, now)
	if err != nil {
		return err
	}
	windows, err := newWindows(&cfg.Window, log, m, now)
	if err != nil {
		return err
	}
	defer windows.close(log)
	p := &proxy.Proxy{
		Policy:                proxy.NewPolicySource(current, inspect.Config{HashKey: windows.key}, proxy.WithWindows(windows.tracker)).Rules,
		ConnectPorts:          cfg.ConnectPorts,
		DialTimeout:           cfg.Timeouts.Dial,
		TLSHandshakeTimeout:   cfg.Timeouts.TLSHandshake,
		ResponseHeaderTimeout: cfg.Timeouts.ResponseHeader,
		ReadHeaderTimeout:     cfg.Timeouts.ReadHeader,
		ReadBodyIdle:          cfg.Timeouts.ReadBodyIdle,
		WriteIdle:             cfg.Timeouts.WriteIdle,
		IdleTimeout:           cfg.Timeouts.Idle,
		TunnelIdle:            cfg.Timeouts.TunnelIdle,
		MaxHeaderBytes:        cfg.Limits.MaxHeaderBytes,
		MaxConnections:        cfg.Limits.MaxConnections,
		MaxInspections:        cfg.Limits.MaxInspections,
		InspectionWait:        cfg.Limits.InspectionWait,
		AuthLimit:             proxy.AuthLimit{Burst: cfg.Limits.AuthFailures, Refill: cfg.Limits.AuthRefill},
		Logger:                log,
		Metrics:               proxy.PromMetrics{M: m},
		Now:                   now,
	}
	if p.AllowedClients, err = cfg.Prefixes(); err != nil {
		return err
	}
	if p.AllowedDestinations, err = cfg.Destinations(); err != nil {
		return err
	}
	if auth := cfg.Authenticator(); auth != nil {
		p.Auth = auth
	}
	if p.UpstreamRoots, err = cfg.RootPool(); err != nil {
		return err
	}
	if cfg.CADir != "" {
		c, err := ca.Load(cfg.CADir)
		if err != nil {
			return err // "load CA: ..." and the file
		}
		p.CA = c
		m.WatchLeafCache(c.Len)
	} else {
		log.Warn("no ca_dir: HTTPS is tunnelled without inspection (counted as tunnel_bypass); run 'dlpproxy ca init'")
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.Admin)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("admin listen: %w", err)
	}
	p.SelfAddrs = []string{ln.Addr().String(), adminLn.Addr().String()}

	var ready atomic.Bool
	proxySrv := p.NewServer(zap.NewStdLog(log.Named("http")))
	adminSrv := &http.Server{Handler: adminMux(reg, &ready, cfg.Pprof), ReadHeaderTimeout: 10 * time.Second}

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wctx, cancelWatch := context.WithCancel(ctx)
	defer cancelWatch()
	wg.Go(func() { runWatcher(wctx, d.reload) })
	wg.Go(func() { errs <- ignoreClosed(proxySrv.Serve(p.Listener(ln))) })
	wg.Go(func() { errs <- ignoreClosed(adminSrv.Serve(adminLn)) })
	ready.Store(true)
	log.Info("dlpproxy serving", zap.String("listen", ln.Addr().String()), zap.String("admin", adminLn.Addr().String()),
		zap.Bool("intercept", p.CA != nil), zap.String("version", version),
		zap.String("block_classifier", inspect.BlockClassifier()))
	if d.ready != nil {
		d.ready(ln.Addr().String(), adminLn.Addr().String())
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	ready.Store(false)
	log.Info("dlpproxy shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Shutdown)
	defer cancel()
	// Requests in flight finish, on plain connections and inside
	// intercepted tunnels alike, within the shutdown timeout.
	var drain sync.WaitGroup
	drain.Go(func() { _ = proxySrv.Shutdown(sctx) })
	drain.Go(func() { _ = p.DrainTunnels(sctx) })
	drain.Wait()
	p.CloseConnections()
	_ = adminSrv.Shutdown(sctx)
	cancelWatch()
	wg.Wait()
	return serveErr
}

// windows is the counting of window rules: a tracker on a local store
// and, when configured, Redis.
type windows struct {
	tracker *window.Tracker
	key     []byte        // keys the engine's value hashes and the tracker's series ids
	redis   *window.Redis // nil without a shared store
}

// newWindows builds the window tracker of cfg. Without a hash key file the
// key is random, drawn once, so that counts survive policy reloads (each
// reload builds a new engine). A shared store without a key file is
// rejected by config validation and again here.
func newWindows(cfg *config.Window, log *zap.Logger, m *metrics.Metrics, now func() time.Time) (*windows, error) {
	key, err := cfg.HashKey()
	if err != nil {
		return nil, err
	}
	w := &windows{key: key}
	if key == nil {
		if cfg.Redis.Addr != "" {
			return nil, errors.New("window.redis.addr: replicas sharing Redis need window.hash_key_file")
		}
		w.key = make([]byte, 32)
		_, _ = rand.Read(w.key) // crypto/rand.Read never fails
	}
	local, err := window.NewLocal(window.LocalConfig{MaxKeys: cfg.MaxKeys, ExactLimit: cfg.ExactLimit, OnEvict: m.WindowEvicted})
	if err != nil {
		return nil, fmt.Errorf("window store: %w", err)
	}
	m.WatchWindowKeys(local.Len)
	tc := window.Config{HashKey: w.key, Local: local, Logger: log, Metrics: m, Now: now, Timeout: cfg.Redis.Timeout}
	if cfg.Redis.Addr != "" {
		if w.redis, err = window.NewRedis(window.RedisConfig{Addr: cfg.Redis.Addr, Password: cfg.Redis.Password,
			DB: cfg.Redis.DB, Timeout: cfg.Redis.Timeout, ExactLimit: cfg.ExactLimit, Logger: log.Named("redis")}); err != nil {
			return nil, fmt.Errorf("window store: %w", err)
		}
		tc.Shared = w.redis
		log.Info("window counts shared on redis", zap.String("addr", cfg.Redis.Addr), zap.Int("db", cfg.Redis.DB))
	}
	if w.tracker, err = window.New(tc); err != nil {
		w.close(log)
		return nil, fmt.Errorf("window tracker: %w", err)
	}
	return w, nil
}

// close releases the Redis connections, if any.
func (w *windows) close(log *zap.Logger) {
	if w.redis == nil {
		return
	}
	if err := w.redis.Close(); err != nil {
		log.Warn("close window store", zap.Error(err))
	}
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// loadPolicy returns the current-policy accessor and the loop that reloads
// it on file change and on reload signals (a no-op loop for the embedded
// default).
func loadPolicy(cfg *config.Config, log *zap.Logger, m *metrics.Metrics, now func() time.Time) (func() *policy.Snapshot, func(context.Context, <-chan os.Signal), error) {
	loaded := func(s *policy.Snapshot) {
		m.SetPolicy(s.Version(), s.SHA256())
		for _, r := range s.Rules() {
			a := metrics.ActionLog
			if r.Action == policy.Block {
				a = metrics.ActionBlock
			}
			m.InitRule(r.Name, a)
		}
		m.ReloadSucceeded(now())
	}
	if cfg.Policy == "" {
		s := policy.Default()
		loaded(s)
		log.Info("policy loaded", zap.String("file", "embedded default"), zap.String("version", s.Version()))
		wait := func(ctx context.Context, _ <-chan os.Signal) { <-ctx.Done() }
		return func() *policy.Snapshot { return s }, wait, nil
	}
	opts := []policy.WatcherOption{}
	if cfg.PolicyPoll > 0 {
		opts = append(opts, policy.WithPollInterval(cfg.PolicyPoll))
	}
	w, err := policy.NewWatcher(cfg.Policy, log, func(result string, s *policy.Snapshot) {
		if result == policy.ReloadSuccess {
			loaded(s)
			return
		}
		m.ReloadFailed()
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("load policy: %w", err)
	}
	loaded(w.Current())
	log.Info("policy loaded", zap.String("file", cfg.Policy), zap.String("version", w.Current().Version()))
	run := func(ctx context.Context, reload <-chan os.Signal) {
		var wg sync.WaitGroup
		wg.Go(func() { w.Run(ctx) })
		for {
			select {
			case <-ctx.Done():
				wg.Wait()
				return
			case <-reload:
				_ = w.Reload() // logged and counted by the watcher
			}
		}
	}
	return w.Current, run, nil
}

// adminMux serves /metrics, /healthz, /readyz and, if enabled, pprof.
func adminMux(reg *prometheus.Registry, ready *atomic.Bool, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(reg))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
