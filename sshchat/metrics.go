package sshchat

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics: with -metrics, the server serves Prometheus metrics on
// /metrics and its health on /healthz. Each server has a registry of its
// own, so several in one process (the tests) do not collide. Counting
// costs an atomic add per message, never one per recipient.

type metrics struct {
	messages prometheus.Counter
	leaves   *prometheus.CounterVec
	bans     prometheus.Counter
	storeRTT prometheus.Histogram
	registry *prometheus.Registry
	http     *http.Server
}

func newMetrics(srv *Server) *metrics {
	m := &metrics{
		messages: prometheus.NewCounter(prometheus.CounterOpts{Name: "sshchat_messages_total",
			Help: "Messages this server's users sent that the store took."}),
		leaves: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sshchat_leaves_total",
			Help: "Users of this server who left, by how (quit, connection lost, slow consumer, kicked, ...)."}, []string{"reason"}),
		bans: prometheus.NewCounter(prometheus.CounterOpts{Name: "sshchat_bans_total",
			Help: "Bans this server's operators decided."}),
		storeRTT: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sshchat_store_append_seconds",
			Help:    "Time for the store to take a message, as its sender waits.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		registry: prometheus.NewRegistry(),
	}
	m.registry.MustRegister(m.messages, m.leaves, m.bans, m.storeRTT,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sshchat_deliveries_total",
			Help: "Messages handed to this server's users' outboxes."}, func() float64 {
			if srv.rooms == nil {
				return 0
			}
			return float64(srv.rooms.delivered.Load())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sshchat_connections",
			Help: "Chat sessions open on this server, joined or choosing a name."}, func() float64 {
			return float64(srv.sessionCount())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sshchat_write_gap_seconds",
			Help: "How long each user's writer waits after a write, so that a busy room's lines go out together (0 at light load)."}, func() float64 {
			return time.Duration(srv.pacer.gap.Load()).Seconds()
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sshchat_store_up",
			Help: "1 when the store answers, 0 while this server refuses lines for want of it."}, func() float64 {
			if srv.available() {
				return 1
			}
			return 0
		}),
		roomUsers{srv})
	for r := range numLeaveReasons {
		m.leaves.WithLabelValues(r.String()) // every reason present from the start, at 0
	}
	return m
}

// roomUsers collects this server's users per room at each scrape.
type roomUsers struct{ srv *Server }

var roomUsersDesc = prometheus.NewDesc("sshchat_room_users", "Users in each room: on this server (where=here) and on the others sharing the cluster (where=elsewhere).", []string{"room", "where"}, nil)

func (c roomUsers) Describe(ch chan<- *prometheus.Desc) { ch <- roomUsersDesc }

func (c roomUsers) Collect(ch chan<- prometheus.Metric) {
	if c.srv.rooms == nil {
		return
	}
	for _, r := range c.srv.rooms.all() {
		r.mu.Lock()
		here, elsewhere := len(r.members), len(r.remote)
		r.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(roomUsersDesc, prometheus.GaugeValue, float64(here), r.name, "here")
		ch <- prometheus.MustNewConstMetric(roomUsersDesc, prometheus.GaugeValue, float64(elsewhere), r.name, "elsewhere")
	}
}

// serveMetrics listens on addr for /metrics and /healthz, until Close.
func (srv *Server) serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(addr); host == "" || !isLoopback(host) {
		srv.log.Warn("metrics served beyond loopback", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(srv.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", srv.health)
	srv.metrics.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	srv.log.Info("metrics", "addr", ln.Addr().String())
	go func() { // owner: the server; ends at Close or Shutdown
		if err := srv.metrics.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.log.Warn("metrics server stopped", "err", err)
		}
	}()
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// health answers 200 when the store answers, 503 with the reason when not.
func (srv *Server) health(w http.ResponseWriter, r *http.Request) {
	if !srv.available() {
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
		return
	}
	if srv.ownStore != nil {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := srv.ownStore.Ready(ctx); err != nil {
			http.Error(w, "store not answering: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ok\n"))
}

// stopMetrics closes the metrics listener.
func (srv *Server) stopMetrics() {
	if srv.metrics.http != nil {
		_ = srv.metrics.http.Close()
	}
}
