package server

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
)

// INFO (Redis's genRedisInfoString). Sections and field names are
// Redis 7.0's; fields whose subsystem does not exist yet report what an
// idle Redis reports for them (no fork, no replicas).

var defaultSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "module_list", "errorstats", "cluster", "keyspace"}
var allSections = append(defaultSections[:len(defaultSections):len(defaultSections)], "commandstats", "latencystats")

func infoCmd(s *Server, c *client, ctx *command.Ctx) {
	want := map[string]bool{}
	if len(ctx.Args) == 1 {
		for _, sec := range defaultSections {
			want[sec] = true
		}
	}
	for _, a := range ctx.Args[1:] {
		switch sec := strings.ToLower(string(a)); sec {
		case "default":
			for _, d := range defaultSections {
				want[d] = true
			}
		case "all":
			for _, d := range allSections {
				want[d] = true
			}
		case "everything":
			for _, d := range allSections {
				want[d] = true
			}
		default:
			want[sec] = true
		}
	}
	ctx.W.Verbatim([]byte(s.infoString(want)), "txt")
}

type infoWriter struct {
	b     strings.Builder
	first bool
}

func (w *infoWriter) section(name string) {
	if !w.first {
		w.b.WriteString("\r\n")
	}
	w.first = false
	w.b.WriteString("# " + name + "\r\n")
}

func (w *infoWriter) field(name string, v any) {
	switch x := v.(type) {
	case float64:
		fmt.Fprintf(&w.b, "%s:%.2f\r\n", name, x)
	default:
		fmt.Fprintf(&w.b, "%s:%v\r\n", name, x)
	}
}

func (s *Server) infoString(want map[string]bool) string {
	w := &infoWriter{first: true}
	t := time.Now()
	if want["server"] {
		w.section("Server")
		w.field("redis_version", Version)
		w.field("redis_git_sha1", "00000000")
		w.field("redis_git_dirty", 0)
		w.field("redis_build_id", "0")
		w.field("redis_mode", "standalone")
		w.field("redoubt_version", RedoubtVersion)
		w.field("os", osString())
		w.field("arch_bits", 64)
		w.field("monotonic_clock", "POSIX clock_gettime")
		w.field("multiplexing_api", "epoll")
		w.field("atomicvar_api", "c11-builtin")
		w.field("gcc_version", "0.0.0")
		w.field("go_version", runtime.Version())
		w.field("process_id", s.pid)
		w.field("process_supervised", "no")
		w.field("run_id", s.runID)
		w.field("tcp_port", s.cfg.Port)
		w.field("server_time_usec", t.UnixMicro())
		up := int64(t.Sub(s.startTime).Seconds())
		w.field("uptime_in_seconds", up)
		w.field("uptime_in_days", up/86400)
		w.field("hz", s.cfg.Hz)
		w.field("configured_hz", s.cfg.Hz)
		w.field("lru_clock", s.ks.LRUClock())
		exe, _ := os.Executable()
		w.field("executable", exe)
		w.field("config_file", s.cfg.File)
		w.field("io_threads_active", 0)
	}
	if want["clients"] {
		w.section("Clients")
		w.field("connected_clients", len(s.clients))
		w.field("cluster_connections", 0)
		w.field("maxclients", s.cfg.MaxClients)
		var maxIn, maxOut int64
		for _, c := range s.clients {
			maxIn = max(maxIn, c.qbufCap.Load())
			maxOut = max(maxOut, c.pending.Load())
		}
		w.field("client_recent_max_input_buffer", maxIn)
		w.field("client_recent_max_output_buffer", maxOut)
		// Clients waiting for a CLIENT PAUSE count as blocked, as in
		// Redis.
		w.field("blocked_clients", s.blockedClients+len(s.pause.clients))
		w.field("tracking_clients", s.tracking.clients)
		w.field("clients_in_timeout_table", 0)
	}
	if want["memory"] {
		s.infoMemory(w)
	}
	if want["persistence"] {
		w.section("Persistence")
		p, a := &s.persist, &s.aof
		loading := boolInt(s.loading.active)
		rwSecs := int64(-1)
		if a.rw != nil {
			rwSecs = int64(time.Since(a.rwStart).Seconds())
		}
		bgInProgress, bgSecs, bgKeys, bgTotal, bgStatus := 0, int64(-1), int64(0), int64(0), "ok"
		var cow, cowPeak int64
		if p.bg != nil {
			bgInProgress, bgSecs, bgKeys, bgTotal = 1, int64(time.Since(p.bgStart).Seconds()), p.bg.Keys, p.bg.Total
			cow, cowPeak = p.bg.Pending(), p.bg.Peak
		}
		if p.bg == nil && s.repl.jobs > 0 {
			// A snapshot for replicas is a background save too, as
			// Redis's child for replicas is.
			bgInProgress = 1
		}
		if p.lastBgFailed {
			bgStatus = "err"
		}
		for _, f := range []struct {
			k string
			v any
		}{
			{"loading", loading}, {"async_loading", boolInt(s.loading.async)}, {"current_cow_peak", cowPeak}, {"current_cow_size", cow},
			{"current_cow_size_age", 0}, {"current_fork_perc", 0.0}, {"current_save_keys_processed", bgKeys},
			{"current_save_keys_total", bgTotal}, {"rdb_changes_since_last_save", s.stats.dirty},
			{"rdb_bgsave_in_progress", bgInProgress}, {"rdb_last_save_time", s.lastSave},
			{"rdb_last_bgsave_status", bgStatus}, {"rdb_last_bgsave_time_sec", p.lastBgSecs},
			{"rdb_current_bgsave_time_sec", bgSecs}, {"rdb_saves", p.saves}, {"rdb_last_cow_size", p.lastCowSize},
			{"rdb_last_load_keys_expired", p.expiredKeys}, {"rdb_last_load_keys_loaded", p.loadedKeys},
			{"aof_enabled", boolInt(a.state != aofOff)}, {"aof_rewrite_in_progress", boolInt(a.rw != nil)},
			{"aof_rewrite_scheduled", boolInt(a.rwScheduled)},
			{"aof_last_rewrite_time_sec", a.lastRwSecs}, {"aof_current_rewrite_time_sec", rwSecs},
			{"aof_last_bgrewrite_status", okErr(!a.lastRwFailed)}, {"aof_rewrites", a.rewrites},
			{"aof_rewrites_consecutive_failures", a.failures}, {"aof_last_write_status", okErr(s.aofDenied() == "")},
			{"aof_last_cow_size", a.lastCowSize}, {"module_fork_in_progress", 0}, {"module_fork_last_cow_size", 0},
		} {
			w.field(f.k, f.v)
		}
		if s.cfg.AppendOnly && a.w != nil {
			st := a.w.Stats()
			w.field("aof_current_size", a.otherSize+st.Size)
			w.field("aof_base_size", a.baseSize)
			w.field("aof_pending_rewrite", boolInt(a.rwScheduled))
			w.field("aof_buffer_length", st.Buffered)
			w.field("aof_pending_bio_fsync", boolInt(st.FsyncPending))
			w.field("aof_delayed_fsync", st.DelayedFsyncs)
		}
		if l := &s.loading; l.active {
			perc, remaining := 0.0, int64(1)
			if l.total > 0 {
				perc = float64(l.done) / float64(l.total) * 100
				remaining = l.total - l.done
			}
			elapsed := int64(time.Since(l.start).Seconds())
			eta := int64(1)
			if elapsed > 0 {
				eta = elapsed * remaining / (l.done + 1)
			}
			w.field("loading_start_time", l.start.Unix())
			w.field("loading_total_bytes", l.total)
			w.field("loading_rdb_used_mem", 0)
			w.field("loading_loaded_bytes", l.done)
			w.field("loading_loaded_perc", fmt.Sprintf("%.2f", perc))
			w.field("loading_eta_seconds", eta)
		}
	}
	if want["stats"] {
		s.infoStats(w)
	}
	if want["replication"] {
		w.section("Replication")
		s.infoReplication(w)
	}
	if want["cpu"] {
		w.section("CPU")
		sys, user := cpuTimes()
		w.field("used_cpu_sys", seconds(sys))
		w.field("used_cpu_user", seconds(user))
		w.field("used_cpu_sys_children", "0.000000")
		w.field("used_cpu_user_children", "0.000000")
		w.field("used_cpu_sys_main_thread", seconds(sys))
		w.field("used_cpu_user_main_thread", seconds(user))
	}
	if want["module_list"] || want["modules"] {
		w.section("Modules")
	}
	if want["commandstats"] {
		w.section("Commandstats")
		s.cmds.Each(func(cmd *command.Command) {
			st := &cmd.Stats
			if st.Calls == 0 && st.Failed == 0 && st.Rejected == 0 {
				return
			}
			per := 0.0
			if st.Calls > 0 {
				per = float64(st.Usec) / float64(st.Calls)
			}
			fmt.Fprintf(&w.b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				cmd.FullName(), st.Calls, st.Usec, per, st.Rejected, st.Failed)
		})
	}
	if want["errorstats"] {
		w.section("Errorstats")
		codes := make([]string, 0, len(s.errStats))
		for k := range s.errStats {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		for _, k := range codes {
			fmt.Fprintf(&w.b, "errorstat_%s:count=%d\r\n", k, s.errStats[k])
		}
	}
	if want["latencystats"] {
		w.section("Latencystats")
		s.cmds.Each(func(cmd *command.Command) {
			h := &cmd.Stats.Latency
			if h.Count == 0 {
				return
			}
			parts := make([]string, 0, len(s.cfg.LatencyPercentiles))
			for _, p := range s.cfg.LatencyPercentiles {
				parts = append(parts, fmt.Sprintf("p%s=%.3f", trimFloat(p), h.Percentile(p)))
			}
			fmt.Fprintf(&w.b, "latency_percentiles_usec_%s:%s\r\n", cmd.FullName(), strings.Join(parts, ","))
		})
	}
	if want["cluster"] {
		w.section("Cluster")
		w.field("cluster_enabled", 0)
	}
	if want["keyspace"] {
		w.section("Keyspace")
		for _, db := range s.ks.DBs {
			if n := db.Len(); n > 0 {
				fmt.Fprintf(&w.b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.ID, n, db.ExpiresLen(), db.AvgTTL)
			}
		}
	}
	// Redoubt's own section, only when asked for by name: INFO, INFO
	// all and INFO everything list exactly Redis's fields.
	if want["guardrails"] {
		w.section("Guardrails")
		s.infoGuardrails(w)
	}
	return w.b.String()
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%g", f)
	return s
}

// seconds formats a CPU time as INFO cpu does: seconds and microseconds.
func seconds(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// memoryFigures is what the process holds: the dataset's blobs (arena),
// the tables indexing them, the Go heap (clients' buffers and everything
// else), and what the OS reports as resident.
type memoryFigures struct {
	arena, arenaMapped, goHeap, goHeapInUse, clients, rss int64
	// tables is what indexes the arena's blobs (arena.Tables: every hash
	// table's slabs and buckets, skiplist nodes, streams' records);
	// keyTables the databases' own tables, which Redis counts as
	// overhead, where the structures of big values are dataset.
	tables, keyTables int64
	// backlog is the replication backlog's history.
	backlog int64
	// base is the live Go heap right after start.
	base int64
}

// used is Redis's used_memory: the dataset (arena and tables, exact:
// the keyspace's tables, those of big hashes, sets and sorted sets, the
// skiplists' nodes and the streams' records),
// the clients' buffers, the replication backlog, and the Go heap the
// server had at start. The
// heap's own growth beyond that (garbage awaiting the GC, Lua, caches)
// is left out, as Redis leaves Lua's out: it swings by the garbage of
// every reply, and maxmemory, which compares this figure, cannot act
// on it. INFO's allocator_* and rss fields show the whole process.
func (m memoryFigures) used() int64 { return m.base + m.arena + m.tables + m.clients + m.backlog }

func (s *Server) memory() memoryFigures {
	m := memoryFigures{base: s.startupHeap}
	m.arena = s.ks.Arena.Allocated()
	m.backlog = s.backlogMemory()
	m.arenaMapped = s.ks.Arena.Mapped()
	m.tables = s.ks.Arena.Tables()
	for _, db := range s.ks.DBs {
		m.keyTables += db.MemoryOverhead()
	}
	// The heap counted is the live heap as the last GC measured it:
	// the objects not yet swept since would make used_memory swing by
	// the garbage of every reply, which maxmemory cannot act on.
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	metrics.Read(samples)
	m.goHeap = int64(samples[0].Value.Uint64())
	m.goHeapInUse = int64(samples[1].Value.Uint64()) + int64(samples[2].Value.Uint64())
	m.clients = s.clientsMemory()
	m.rss = rss()
	return m
}

// clientsMemory is what the clients' buffers hold.
func (s *Server) clientsMemory() int64 { return max(s.clientsMem.Load(), 0) }

// notePeak records the peak of used_memory (cron and INFO call it).
func (s *Server) notePeak(used int64) {
	if used > s.peakMemory {
		s.peakMemory = used
	}
}

// rss reads the resident set size from /proc.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res int64
	fmt.Sscanf(string(data), "%d %d", &size, &res)
	return res * int64(os.Getpagesize())
}

func perc(part, whole int64) string {
	if whole <= 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", float64(part)*100/float64(whole))
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Server) infoMemory(w *infoWriter) {
	m := s.memory()
	used := m.used()
	s.notePeak(used)
	overhead := s.startupMemory + m.keyTables + m.clients
	dataset := max(used-overhead, 0)
	active := m.arenaMapped + m.tables + m.goHeapInUse
	w.section("Memory")
	w.field("used_memory", used)
	w.field("used_memory_human", humanBytes(used))
	w.field("used_memory_rss", m.rss)
	w.field("used_memory_rss_human", humanBytes(m.rss))
	w.field("used_memory_peak", s.peakMemory)
	w.field("used_memory_peak_human", humanBytes(s.peakMemory))
	w.field("used_memory_peak_perc", perc(used, s.peakMemory))
	w.field("used_memory_overhead", overhead)
	w.field("used_memory_startup", s.startupMemory)
	w.field("used_memory_dataset", dataset)
	w.field("used_memory_dataset_perc", perc(dataset, used-s.startupMemory))
	w.field("allocator_allocated", used)
	w.field("allocator_active", active)
	w.field("allocator_resident", m.rss)
	total := totalSystemMemory()
	w.field("total_system_memory", total)
	w.field("total_system_memory_human", humanBytes(total))
	// The Lua states' sizes are what their creation and compiled code
	// allocated (script.VM.Memory); the caches are the scripts' and
	// libraries' code.
	vm, fvm := s.scripts.vm, s.scripts.fvm
	w.field("used_memory_lua", vm.Memory())
	w.field("used_memory_vm_eval", vm.Memory())
	w.field("used_memory_lua_human", humanBytes(vm.Memory()))
	w.field("used_memory_scripts_eval", vm.ScriptsMemory())
	w.field("number_of_cached_scripts", vm.Scripts())
	w.field("number_of_functions", fvm.FunctionCount())
	w.field("number_of_libraries", len(fvm.Libraries()))
	w.field("used_memory_vm_functions", fvm.Memory())
	w.field("used_memory_vm_total", vm.Memory()+fvm.Memory())
	w.field("used_memory_vm_total_human", humanBytes(vm.Memory()+fvm.Memory()))
	w.field("used_memory_functions", fvm.LibrariesMemory())
	w.field("used_memory_scripts", vm.ScriptsMemory()+fvm.LibrariesMemory())
	w.field("used_memory_scripts_human", humanBytes(vm.ScriptsMemory()+fvm.LibrariesMemory()))
	w.field("maxmemory", s.cfg.MaxMemory)
	w.field("maxmemory_human", humanBytes(s.cfg.MaxMemory))
	w.field("maxmemory_policy", s.cfg.MaxMemoryPolicy)
	w.field("allocator_frag_ratio", ratio(active, used))
	w.field("allocator_frag_bytes", active-used)
	w.field("allocator_rss_ratio", ratio(m.rss, active))
	w.field("allocator_rss_bytes", m.rss-active)
	w.field("rss_overhead_ratio", 1.0)
	w.field("rss_overhead_bytes", 0)
	w.field("mem_fragmentation_ratio", ratio(m.rss, used))
	w.field("mem_fragmentation_bytes", m.rss-used)
	w.field("mem_not_counted_for_evict", s.notCountedForEvict())
	backlog := m.backlog
	replicaBufs := s.replicaBuffers()
	w.field("mem_replication_backlog", backlog)
	w.field("mem_total_replication_buffers", backlog+replicaBufs)
	w.field("mem_clients_slaves", replicaBufs)
	w.field("mem_clients_normal", max(m.clients-replicaBufs, 0))
	w.field("mem_cluster_links", 0)
	w.field("mem_aof_buffer", 0)
	w.field("mem_allocator", "redoubt-arena")
	w.field("active_defrag_running", s.compactRunning())
	w.field("lazyfree_pending_objects", s.ks.LazyFreePending())
	w.field("lazyfreed_objects", s.ks.Stats.LazyfreedObjects)
}

// humanBytes formats a size as Redis's bytesToHuman does.
func humanBytes(n int64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", d/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", d/(1024*1024))
	case n < 1024*1024*1024*1024:
		return fmt.Sprintf("%.2fG", d/(1024*1024*1024))
	default:
		return fmt.Sprintf("%.2fT", d/(1024*1024*1024*1024))
	}
}

func (s *Server) infoStats(w *infoWriter) {
	st := &s.stats
	netIn, netOut := st.netIn, st.netOut
	for _, c := range s.clients {
		netIn += c.netIn.Load()
		netOut += c.netOut.Load()
	}
	w.section("Stats")
	w.field("total_connections_received", st.connectionsReceived)
	w.field("total_commands_processed", st.commands)
	w.field("instantaneous_ops_per_sec", st.instantaneous(func(o opsSample) int64 { return o.commands }))
	w.field("total_net_input_bytes", netIn)
	w.field("total_net_output_bytes", netOut)
	w.field("total_net_repl_input_bytes", 0)
	w.field("total_net_repl_output_bytes", 0)
	w.field("instantaneous_input_kbps", float64(st.instantaneous(func(o opsSample) int64 { return o.netIn }))/1024)
	w.field("instantaneous_output_kbps", float64(st.instantaneous(func(o opsSample) int64 { return o.netO }))/1024)
	w.field("instantaneous_input_repl_kbps", 0.0)
	w.field("instantaneous_output_repl_kbps", 0.0)
	w.field("rejected_connections", st.rejectedConns)
	w.field("sync_full", s.repl.syncFull)
	w.field("sync_partial_ok", s.repl.syncPartialOK)
	w.field("sync_partial_err", s.repl.syncPartialErr)
	w.field("expired_keys", s.ks.Stats.ExpiredKeys)
	w.field("expired_stale_perc", s.ks.Stats.ExpiredStalePerc*100)
	w.field("expired_time_cap_reached_count", s.ks.Stats.ExpiredTimeCapReach)
	w.field("expire_cycle_cpu_milliseconds", s.ks.Stats.ExpireCycleMicros/1000)
	w.field("evicted_keys", s.evictState.evicted)
	w.field("evicted_clients", s.stats.evictedClients)
	over := s.evictState.overTotal
	current := time.Duration(0)
	if t := s.evictState.overSince; !t.IsZero() {
		current = time.Since(t)
		over += current
	}
	w.field("total_eviction_exceeded_time", over.Milliseconds())
	w.field("current_eviction_exceeded_time", current.Milliseconds())
	w.field("keyspace_hits", s.ks.Stats.Hits)
	w.field("keyspace_misses", s.ks.Stats.Misses)
	w.field("pubsub_channels", len(s.ps.channels))
	w.field("pubsub_patterns", len(s.ps.patterns))
	w.field("pubsubshard_channels", len(s.ps.shard))
	w.field("latest_fork_usec", 0)
	w.field("total_forks", s.stats.jobs)
	w.field("migrate_cached_sockets", len(s.migrateConns))
	w.field("slave_expires_tracked_keys", 0)
	cs := s.ks.CompactionStats
	w.field("active_defrag_hits", cs.Hits)
	w.field("active_defrag_misses", cs.Misses)
	w.field("active_defrag_key_hits", cs.KeyHits)
	w.field("active_defrag_key_misses", cs.KeyMisses)
	defragTotal, defragNow := s.compactTimes()
	w.field("total_active_defrag_time", defragTotal)
	w.field("current_active_defrag_time", defragNow)
	w.field("tracking_total_keys", len(s.tracking.table))
	w.field("tracking_total_items", s.tracking.items)
	w.field("tracking_total_prefixes", len(s.tracking.prefixes))
	w.field("unexpected_error_replies", s.stats.unexpectedErrors)
	w.field("total_error_replies", st.totalErrorReplies)
	w.field("dump_payload_sanitizations", 0)
	w.field("total_reads_processed", st.reads.Load())
	w.field("total_writes_processed", st.writes.Load())
	w.field("io_threaded_reads_processed", 0)
	w.field("io_threaded_writes_processed", 0)
	w.field("reply_buffer_shrinks", 0)
	w.field("reply_buffer_expands", 0)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
