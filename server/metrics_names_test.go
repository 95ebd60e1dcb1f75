package server_test

import (
	"slices"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// The series dashboards built for oliver006/redis_exporter read are
// served under its names, with its metric types and label names, as a
// Prometheus parser reads them.
func TestExporterNamesTypesAndLabels(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c := difftest.Dial(t, addr)
	c.Do("set", "k", "v", "ex", "100")
	c.Do("get", "k")
	c.Do("save")
	port := metricsOn(t, c)
	fams := scrapeFamilies(t, port)
	for _, want := range []struct {
		name   string
		typ    dto.MetricType
		labels []string
	}{
		{"redis_up", dto.MetricType_GAUGE, nil},
		{"redis_connected_clients", dto.MetricType_GAUGE, nil},
		{"redis_memory_used_bytes", dto.MetricType_GAUGE, nil},
		{"redis_memory_max_bytes", dto.MetricType_GAUGE, nil},
		{"redis_commands_total", dto.MetricType_COUNTER, []string{"cmd"}},
		{"redis_commands_duration_seconds_total", dto.MetricType_COUNTER, []string{"cmd"}},
		{"redis_keyspace_hits_total", dto.MetricType_COUNTER, nil},
		{"redis_keyspace_misses_total", dto.MetricType_COUNTER, nil},
		{"redis_db_keys", dto.MetricType_GAUGE, []string{"db"}},
		{"redis_db_keys_expiring", dto.MetricType_GAUGE, []string{"db"}},
		{"redis_evicted_keys_total", dto.MetricType_COUNTER, nil},
		{"redis_expired_keys_total", dto.MetricType_COUNTER, nil},
		{"redis_connected_slaves", dto.MetricType_GAUGE, nil},
		{"redis_rdb_last_bgsave_status", dto.MetricType_GAUGE, nil},
	} {
		f := fams[want.name]
		if f == nil {
			t.Errorf("%s is not served", want.name)
			continue
		}
		if f.GetType() != want.typ {
			t.Errorf("%s is a %v, redis_exporter serves a %v", want.name, f.GetType(), want.typ)
		}
		if len(f.GetMetric()) == 0 {
			t.Errorf("%s has no sample", want.name)
		}
		for _, m := range f.GetMetric() {
			var names []string
			for _, l := range m.GetLabel() {
				names = append(names, l.GetName())
			}
			if !slices.Equal(names, want.labels) {
				t.Errorf("%s has labels %v, redis_exporter's are %v", want.name, names, want.labels)
			}
		}
	}
}
