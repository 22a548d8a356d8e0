//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The Kafka scale-out topology of docs/scale-out.md, end to end with the built binary:
//
//	2 site collectors (otelcol-config.yaml + deploy/kafka/site.yaml)
//	  -> Kafka-protocol broker -> 2 central collectors in one consumer group
//	     (otelcol-config.yaml + deploy/kafka/central.yaml) -> rsyslog (CEF over TCP)
//
// The broker is NOT Apache Kafka (Kafka is not in Debian's archive, and CI has no other network):
// it is franz-go's in-process Kafka-protocol broker github.com/twmb/franz-go/pkg/kfake, run inside
// the test process with its disk persistence on (kfake.DataDir), so that "the broker restarts" is a
// real one: the listener closes, the process state is written to disk and dropped, and a new broker
// loads it from disk on the same port.

// kafkaTopic is the topic deploy/kafka/{site,central}.yaml use by default.
const kafkaTopic = "otelcol-siem-logs"

// kafkaPartitions is the topic's partition count in these tests: more than the number of central
// collectors, so that both get partitions.
const kafkaPartitions = 4

// kfakeBroker is one kfake broker on a fixed loopback port with its data in a directory, so that it
// can be stopped and started again with what it had stored (records, committed group offsets).
type kfakeBroker struct {
	t       *testing.T
	Addr    string
	port    int
	dataDir string
	cluster *kfake.Cluster
}

func startKfakeBroker(t *testing.T) *kfakeBroker {
	t.Helper()
	b := &kfakeBroker{t: t, port: testcollector.FreePort(t), dataDir: t.TempDir()}
	b.Addr = fmt.Sprintf("127.0.0.1:%d", b.port)
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

// Start starts the broker, loading what an earlier Stop saved.
func (b *kfakeBroker) Start() {
	b.t.Helper()
	c, err := kfake.NewCluster(
		kfake.Ports(b.port),
		kfake.DataDir(b.dataDir),
		kfake.SeedTopics(kafkaPartitions, kafkaTopic),
	)
	if err != nil {
		b.t.Fatalf("kfake broker on %s: %v", b.Addr, err)
	}
	b.cluster = c
}

// Stop closes the listener and every connection and writes the broker's state to its directory.
func (b *kfakeBroker) Stop() {
	if b.cluster != nil {
		b.cluster.Close()
		b.cluster = nil
	}
}

// centralGroup is the consumer group deploy/kafka/central.yaml uses by default.
const centralGroup = "otelcol-siem-central"

// uncommitted returns how many records of the topic group has not committed: the sum over the
// partitions of end offset minus committed offset.
func (b *kfakeBroker) uncommitted(group string) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, kafkaTopic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, err
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0, err
	}
	var lag int64
	ends.Each(func(end kadm.ListedOffset) {
		at := int64(0)
		if o, ok := committed.Lookup(end.Topic, end.Partition); ok && o.Err == nil && o.At >= 0 {
			at = o.At
		}
		lag += end.Offset - at
	})
	return lag, nil
}

// groupBalanced reports whether group is Stable with members members that hold every partition of
// the topic between them, each at least one.
func (b *kfakeBroker) groupBalanced(group string, members int) bool {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		return false
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	groups, err := kadm.NewClient(cl).DescribeGroups(ctx, group)
	if err != nil || groups.Error() != nil {
		return false
	}
	g := groups[group]
	if g.State != "Stable" || len(g.Members) != members {
		return false
	}
	held := 0
	for _, m := range g.Members {
		a, ok := m.Assigned.AsConsumer()
		if !ok {
			return false
		}
		n := 0
		for _, topic := range a.Topics {
			n += len(topic.Partitions)
		}
		if n == 0 {
			return false
		}
		held += n
	}
	return held == kafkaPartitions
}

// kafkaTopology is the running topology of one test.
type kafkaTopology struct {
	Broker         *kfakeBroker
	Rsyslog        *testpeers.Rsyslog
	Sites, Central []*testcollector.Collector
	centralEnv     map[string]string
}

// kafkaConfigs returns the --config files of a role: the packaged config and the role's overlay.
func kafkaConfigs(role string) []string {
	root := testcollector.RepoRoot()
	return []string{filepath.Join(root, "otelcol-config.yaml"), filepath.Join(root, "deploy", "kafka", role+".yaml")}
}

// startKafkaTopology starts rsyslog, the broker, two central collectors (with centralEnv added to
// their environment) and two site collectors.
func startKafkaTopology(t *testing.T, centralEnv ...string) *kafkaTopology {
	t.Helper()
	certs := testpeers.NewCerts(t)
	top := &kafkaTopology{Rsyslog: testpeers.StartRsyslog(t, certs), Broker: startKfakeBroker(t)}
	brokers := "[" + top.Broker.Addr + "]"
	top.centralEnv = map[string]string{
		"OTELCOL_SIEM_KAFKA_BROKERS":         brokers,
		"OTELCOL_SIEM_EXPORTERS":             "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT":      "tcp",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":       top.Rsyslog.TCPAddr,
		"OTELCOL_SIEM_KAFKA_SESSION_TIMEOUT": "6s", // kfake's minimum: a killed member's partitions move sooner
	}
	for i := 0; i+1 < len(centralEnv); i += 2 {
		top.centralEnv[centralEnv[i]] = centralEnv[i+1]
	}
	for i := range 2 {
		env := withEnv(top.centralEnv, "OTELCOL_SIEM_KAFKA_CLIENT_ID", fmt.Sprintf("central-%d", i))
		top.Central = append(top.Central, testcollector.Start(t, testcollector.Options{Configs: kafkaConfigs("central"), Env: env}))
	}
	// Both members must hold partitions before the stream starts: else the first member to join
	// may consume everything before the group's second rebalance hands the other one its share.
	pollUntil(t, 60*time.Second, "both central collectors to hold partitions", func() bool {
		return top.Broker.groupBalanced(centralGroup, len(top.Central))
	})
	for i := range 2 {
		env := map[string]string{"OTELCOL_SIEM_KAFKA_BROKERS": brokers, "OTELCOL_SIEM_KAFKA_CLIENT_ID": fmt.Sprintf("site-%d", i)}
		top.Sites = append(top.Sites, testcollector.Start(t, testcollector.Options{Configs: kafkaConfigs("site"), Env: env}))
	}
	return top
}

// withEnv returns a copy of m with k set to v.
func withEnv(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	out[k] = v
	return out
}

// restartCentral starts central collector i again on its storage directory (its persistent queue).
func (top *kafkaTopology) restartCentral(t *testing.T, i int) {
	t.Helper()
	env := withEnv(top.centralEnv, "OTELCOL_SIEM_KAFKA_CLIENT_ID", fmt.Sprintf("central-%d", i))
	top.Central[i] = testcollector.Start(t, testcollector.Options{
		Configs: kafkaConfigs("central"), Env: env, StorageDir: top.Central[i].StorageDir,
	})
}

// kafkaResources is how many emitting services (resources) each site has: the site exporter keys
// Kafka records by resource, so several resources spread a site over the topic's partitions.
const kafkaResources = 4

// siteLogs builds failed logins of one site with ids, the site's ids from index first on: id i of
// the site comes from resource i mod kafkaResources (as kafkaIDs names it).
func siteLogs(site string, first int, ids []string) plog.Logs {
	logs := plog.NewLogs()
	var recs [kafkaResources]plog.LogRecordSlice
	for r := range kafkaResources {
		rl := logs.ResourceLogs().AppendEmpty()
		attrs := rl.Resource().Attributes()
		attrs.PutStr(secevent.KeyServiceName, "unified-ot-connector")
		attrs.PutStr("service.instance.id", fmt.Sprintf("%s-connector-%d", site, r))
		attrs.PutStr("host.name", site)
		recs[r] = rl.ScopeLogs().AppendEmpty().LogRecords()
	}
	now := time.Now()
	for i, id := range ids {
		lr := recs[(first+i)%kafkaResources].AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(now))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
		lr.Body().SetStr("Failed login attempt for bob")
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, "authentication")
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, "failure")
		a.PutStr(secevent.KeyUserName, "bob")
		a.PutStr(secevent.KeySourceAddress, "10.1.2.3")
		a.PutStr(secevent.KeyEventID, id)
	}
	return logs
}

// kafkaIDs returns the event ids site will send: <prefix>-<site>-<resource>-<seq>, so that the
// order check can tell each resource's records apart.
func kafkaIDs(prefix, site string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%s-r%d-%06d", prefix, site, i%kafkaResources, i)
	}
	return ids
}

// sendSite sends ids to a site collector in batches of batch records, pausing pause between them
// (pause spreads the stream out so that a fault lands in its middle).
func sendSite(t *testing.T, col *testcollector.Collector, site string, ids []string, batch int, pause time.Duration) error {
	t.Helper()
	for start := 0; start < len(ids); start += batch {
		end := min(start+batch, len(ids))
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := col.SendGRPC(ctx, siteLogs(site, start, ids[start:end]))
		cancel()
		if err != nil {
			return fmt.Errorf("site %s batch at %d: %w", site, start, err)
		}
		time.Sleep(pause)
	}
	return nil
}

// sendSites sends n events to each site collector concurrently and returns every id sent; it may
// run in a goroutine of its own (it does not fail the test).
func sendSites(t *testing.T, top *kafkaTopology, prefix string, n, batch int, pause time.Duration) ([]string, error) {
	t.Helper()
	var all []string
	var wg sync.WaitGroup
	errs := make([]error, len(top.Sites))
	for i, site := range top.Sites {
		name := fmt.Sprintf("site%d", i)
		ids := kafkaIDs(prefix, name, n)
		all = append(all, ids...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = sendSite(t, site, name, ids, batch, pause)
		}()
	}
	wg.Wait()
	return all, errors.Join(errs...)
}

// siteAlerts is how many alert records the sites add to a scenario: each site's alert processor
// raises one failed_logins alert for bob (cooldown 15 min), which the central tier forwards too.
const siteAlerts = 2

// accepted returns how many records a central collector's kafka receiver handed to its pipeline.
func accepted(col *testcollector.Collector) float64 {
	v, _ := col.Metric("otelcol_receiver_accepted_log_records", `receiver="kafka"`)
	return v
}

// kafkaRow records a scenario's row: the counts at rsyslog, with alert records not counted.
func kafkaRow(t *testing.T, scenario string, c zlCounts, notes string) {
	t.Helper()
	zlRow(t, scenario, c, notes)
	if c.Lost != 0 {
		t.Errorf("%s: %s; missing e.g. %v", scenario, c, c.Missing)
	}
	if c.Unparsed != 0 {
		t.Errorf("%s: %d records at rsyslog were not CEF", scenario, c.Unparsed)
	}
}

// checkTopicOrder reads the whole topic with a plain franz-go consumer and checks the keying the
// site config promises: every resource's records sit in one partition, in the order the site sent
// them (the order the site queue stored them). It returns how many partitions hold records and how
// many of ids the topic holds more than once (a site produced them again).
func checkTopicOrder(t *testing.T, top *kafkaTopology, ids []string) (partitionsUsed, duplicated int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(top.Broker.Addr), kgo.ConsumeTopics(kafkaTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	partitionOf := map[string]int32{} // resource (id without seq) -> partition
	lastSeq := map[string]string{}    // resource -> last id seen
	partitions := map[int32]bool{}    // partitions holding records of ids
	seen := make(map[string]bool, len(ids))
	var unmarshal plog.ProtoUnmarshaler
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < len(ids) && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		fetches.EachRecord(func(r *kgo.Record) {
			logs, err := unmarshal.UnmarshalLogs(r.Value)
			if err != nil {
				t.Errorf("partition %d offset %d: not OTLP protobuf: %v", r.Partition, r.Offset, err)
				return
			}
			for _, rl := range logs.ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						v, ok := lr.Attributes().Get(secevent.KeyEventID)
						if !ok || !want[v.Str()] {
							continue // an alert, or another scenario's record
						}
						id := v.Str()
						resource := id[:strings.LastIndexByte(id, '-')]
						if p, ok := partitionOf[resource]; ok && p != r.Partition {
							t.Errorf("records of resource %s in partitions %d and %d", resource, p, r.Partition)
						}
						partitionOf[resource] = r.Partition
						partitions[r.Partition] = true
						if !seen[id] && lastSeq[resource] > id {
							t.Errorf("resource %s: %s after %s in partition %d", resource, id, lastSeq[resource], r.Partition)
						}
						if seen[id] {
							duplicated++
						} else {
							lastSeq[resource] = id
						}
						seen[id] = true
					}
				}
			}
		})
	}
	if len(seen) != len(ids) {
		t.Errorf("topic holds %d of the %d ids sent", len(seen), len(ids))
	}
	keys := make([]int32, 0, len(partitions))
	for p := range partitions {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	t.Logf("topic: %d resources over partitions %v, %d records duplicated", len(partitionOf), keys, duplicated)
	return len(partitions), duplicated
}

// centralQueued sums the central collectors' cef_syslog/siem persistent queues.
func centralQueued(top *kafkaTopology) float64 {
	var sum float64
	for _, c := range top.Central {
		v, _ := c.Metric("otelcol_exporter_queue_size", cefSiem)
		sum += v
	}
	return sum
}

// waitSettled polls rsyslog until every id arrived, or until the count has not moved for quiet, or
// timeout passes; it returns the counts then.
func waitSettled(t *testing.T, rs *testpeers.Rsyslog, ids []string, quiet, timeout time.Duration) zlCounts {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last, lastChange := -1, time.Now()
	for {
		n := rs.Count(t)
		if n != last {
			last, lastChange = n, time.Now()
		}
		if n >= len(ids) {
			if c := zlCountRsyslog(t, rs, ids); c.Lost == 0 {
				return c
			}
		}
		if time.Since(lastChange) > quiet || time.Now().After(deadline) {
			return zlCountRsyslog(t, rs, ids)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKafkaScaleOutSIEMDown: rsyslog (the SIEM) is down while two sites publish 2 x 3000 events;
// the central tier consumes them all from Kafka into its persistent queues (both central
// collectors got partitions); the topic holds every resource's records in one partition, in
// order; rsyslog comes back and every event arrives.
func TestKafkaScaleOutSIEMDown(t *testing.T) {
	const perSite = 3000
	top := startKafkaTopology(t)
	top.Rsyslog.Stop(t)
	ids, err := sendSites(t, top, "ksiem", perSite, 250, 0)
	if err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 60*time.Second, "the central queues to hold every event and alert", func() bool {
		return centralQueued(top) >= float64(len(ids)+siteAlerts)
	})
	for i, c := range top.Central {
		if accepted(c) == 0 {
			t.Errorf("central collector %d consumed nothing: the group did not share the partitions", i)
		}
	}
	t.Logf("consumed from Kafka by central 0: %v, central 1: %v", accepted(top.Central[0]), accepted(top.Central[1]))
	if p, _ := checkTopicOrder(t, top, ids); p < 2 {
		t.Errorf("records in %d partition(s), want the resources spread over at least 2", p)
	}
	top.Rsyslog.Restart(t)
	c := zlWaitRsyslog(t, top.Rsyslog, ids, 60*time.Second)
	kafkaRow(t, "20. Kafka scale-out (kfake broker): SIEM (rsyslog) down while 2 sites publish, then back", c,
		fmt.Sprintf("2 sites -> kfake (franz-go's in-process Kafka-protocol broker, %d partitions) -> 2 central collectors in one group -> rsyslog tcp; all %d events (+%d alerts) waited in the central persistent queues, offsets committed", kafkaPartitions, len(ids), siteAlerts))
}

// TestKafkaScaleOutCentralKilled: while two sites publish 2 x 3000 events, one central collector is
// SIGKILLed after both members of the group consumed part of the stream; the other takes its
// partitions after the session timeout and consumes from the last committed offset. Once the group
// has committed the whole topic and the survivor has delivered, what is still missing at rsyslog is
// exactly what the killed collector had stored in its persistent queue (offsets committed): it is
// delivered when that collector starts again on the same storage. 0 lost; records it had stored but
// whose offsets were not yet committed come twice.
func TestKafkaScaleOutCentralKilled(t *testing.T) {
	const perSite = 3000
	top := startKafkaTopology(t)
	var ids []string
	var sendErr error
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		ids, sendErr = sendSites(t, top, "kkill", perSite, 100, 60*time.Millisecond)
	}()
	// Kill in a stable group session (both members consuming): a member killed during a rebalance
	// holds the group until franz-go's rebalance timeout (60 s) instead of the session timeout.
	pollUntil(t, 30*time.Second, "both central collectors to consume, central 0 at least 400 records", func() bool {
		return accepted(top.Central[0]) >= 400 && accepted(top.Central[1]) > 0
	})
	before := accepted(top.Central[0])
	top.Central[0].Kill()
	killed := time.Now()
	select {
	case <-sent:
		t.Errorf("the sites had sent everything when central 0 was killed: not mid-stream")
	default:
	}
	<-sent
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	if t.Failed() {
		return
	}
	pollUntil(t, 60*time.Second, "the group to commit the whole topic", func() bool {
		n, err := top.Broker.uncommitted(centralGroup)
		return err == nil && n == 0
	})
	takeover := time.Since(killed)
	pollUntil(t, 30*time.Second, "central 1's queue to drain", func() bool {
		q, err := top.Central[1].Metric("otelcol_exporter_queue_size", cefSiem)
		return err == nil && q == 0
	})
	partial := waitSettled(t, top.Rsyslog, ids, 3*time.Second, 30*time.Second)
	t.Logf("before central 0 restarts (topic committed %s after the kill): %s", takeover.Round(time.Second), partial)
	top.restartCentral(t, 0)
	c := zlWaitRsyslog(t, top.Rsyslog, ids, 60*time.Second)
	kafkaRow(t, "20. Kafka scale-out (kfake broker): one of 2 central collectors SIGKILLed mid-stream, restarted on its storage", c,
		fmt.Sprintf("killed after it had consumed %.0f records; the other took its partitions and the group committed the whole topic; %d events were then only in the killed collector's persistent queue and arrived when it restarted; duplicates: records it had stored whose offsets were not yet committed (autocommit 1 s)", before, partial.Lost))
}

// TestKafkaScaleOutCentralKilledWhileSIEMDown: rsyslog is down and the central collectors' queues are
// small (1024 records, the smallest the packaged exporters' batch sizes allow), so a central
// collector stores 1024 records and then blocks with more fetched from Kafka but not stored. That
// collector is SIGKILLed in that state and rsyslog comes back. The offsets of what it had fetched
// but not stored must not have been committed: the other collector takes over its partitions and
// delivers everything except, at most, what is on the killed one's disk (its queue at the kill);
// that arrives when it starts again on its storage. 0 lost.
func TestKafkaScaleOutCentralKilledWhileSIEMDown(t *testing.T) {
	const perSite, queueSize = 3000, 1024
	top := startKafkaTopology(t, "OTELCOL_SIEM_QUEUE_SIZE", fmt.Sprint(queueSize))
	top.Rsyslog.Stop(t)
	ids, err := sendSites(t, top, "kblock", perSite, 250, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Full: the queue holds at least 3/4 of its size (the next request did not fit) and has not
	// grown for a second.
	victim := -1
	last := make([]float64, len(top.Central))
	pollUntil(t, 60*time.Second, "a central queue to be full", func() bool {
		time.Sleep(time.Second)
		for i, c := range top.Central {
			q, err := c.Metric("otelcol_exporter_queue_size", cefSiem)
			if err == nil && q >= queueSize*3/4 && q == last[i] {
				victim = i
				return true
			}
			last[i] = q
		}
		return false
	})
	survivor := 1 - victim
	lag, err := top.Broker.uncommitted(centralGroup)
	if err != nil {
		t.Fatal(err)
	}
	if lag == 0 {
		t.Fatalf("the group committed the whole topic while the central queues hold %v of %d records", centralQueued(top), len(ids))
	}
	onDisk, _ := top.Central[victim].Metric("otelcol_exporter_queue_size", cefSiem)
	top.Central[victim].Kill()
	top.Rsyslog.Restart(t)
	pollUntil(t, 60*time.Second, "the group to commit the whole topic", func() bool {
		n, err := top.Broker.uncommitted(centralGroup)
		return err == nil && n == 0
	})
	pollUntil(t, 30*time.Second, "the surviving collector's queue to drain", func() bool {
		q, err := top.Central[survivor].Metric("otelcol_exporter_queue_size", cefSiem)
		return err == nil && q == 0
	})
	partial := waitSettled(t, top.Rsyslog, ids, 3*time.Second, 30*time.Second)
	t.Logf("before the killed collector restarts: %s; it had %.0f records on disk", partial, onDisk)
	if float64(partial.Lost) > onDisk {
		t.Errorf("%d events missing but only %.0f were on the killed collector's disk: records it had fetched but not stored were committed", partial.Lost, onDisk)
	}
	top.restartCentral(t, victim)
	c := zlWaitRsyslog(t, top.Rsyslog, ids, 60*time.Second)
	kafkaRow(t, "20. Kafka scale-out (kfake broker): central collector SIGKILLed while the SIEM is down and its queue is full, SIEM back, collector restarted", c,
		fmt.Sprintf("central queues 1024 records, the killed one full and blocking; %d Kafka records uncommitted at the kill; the survivor delivered all but %d events, which were on the killed collector's disk (%.0f queued) and arrived when it restarted", lag, partial.Lost, onDisk))
}

// TestKafkaScaleOutBrokerRestart: while two sites publish 2 x 3000 events, the broker stops (its
// listener and connections close, its state is written to disk) for 8 s and a new broker starts
// from that state on the same port. The sites' persistent queues hold what arrives meanwhile; the
// central collectors reconnect and resume from their committed offsets. 0 lost.
func TestKafkaScaleOutBrokerRestart(t *testing.T) {
	const perSite = 3000
	const outage = 8 * time.Second
	top := startKafkaTopology(t)
	var ids []string
	var sendErr error
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		ids, sendErr = sendSites(t, top, "kbroker", perSite, 100, 60*time.Millisecond)
	}()
	pollUntil(t, 30*time.Second, "the central tier to consume a first part of the stream", func() bool {
		return accepted(top.Central[0])+accepted(top.Central[1]) >= 600
	})
	top.Broker.Stop()
	stopped := time.Now()
	var siteQueued float64
	for time.Since(stopped) < outage {
		var q float64
		for _, s := range top.Sites {
			v, _ := s.Metric("otelcol_exporter_queue_size", `exporter="kafka"`)
			q += v
		}
		siteQueued = max(siteQueued, q)
		time.Sleep(200 * time.Millisecond)
	}
	top.Broker.Start()
	<-sent
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	if t.Failed() {
		return
	}
	if siteQueued == 0 {
		t.Errorf("the site queues held nothing while the broker was down: the outage was not mid-stream")
	}
	c := zlWaitRsyslog(t, top.Rsyslog, ids, 90*time.Second)
	_, inTopic := checkTopicOrder(t, top, ids)
	kafkaRow(t, "20. Kafka scale-out (kfake broker): broker stopped for 8 s mid-stream and restarted from its data directory", c,
		fmt.Sprintf("kfake Close (listener and connections closed, state saved) then a new kfake on the same port and data dir; the site persistent queues held up to %.0f records meanwhile; %d of the duplicates were produced twice by a site (a produce in flight at the stop is retried), the rest consumed twice (offsets not yet committed at the stop)", siteQueued, inTopic))
}
