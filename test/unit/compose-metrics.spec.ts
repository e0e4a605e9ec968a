import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { loadConfig } from '../../src/config/lab-config';
import { LabMetrics } from '../../src/metrics/lab-metrics';
import { parseMetrics } from '../support/prometheus-text';

/**
 * compose/'s Prometheus and Grafana (profile `metrics`), checked without their images (which cannot be
 * pulled here): the files parse, Prometheus scrapes the lab server's GET /metrics, Grafana is given
 * that Prometheus and the dashboard, and every query of the dashboard names figures the server exports.
 */
const composeDir = path.resolve(__dirname, '../../compose');
const read = (rel: string) => fs.readFileSync(path.join(composeDir, rel), 'utf8');
const yaml = (rel: string) => YAML.parse(read(rel), { merge: true });

interface Service { image: string; profiles?: string[]; network_mode?: string; command?: string[]; volumes?: string[]; environment?: Record<string, string> }
const compose = yaml('docker-compose.yml') as { services: Record<string, Service> };
const env = Object.fromEntries(read('.env').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const dashboard = JSON.parse(read('grafana/dashboards/kafka-lab.json')) as {
  uid: string;
  panels: Array<{ title: string; datasource?: { uid: string }; targets: Array<{ expr: string; datasource?: { uid: string } }> }>;
};

/** The families a server exports (a LabMetrics with nothing to read: every family still shows its name). */
async function exported(): Promise<Set<string>> {
  const m = new LabMetrics({ nodes: () => [], metadata: () => null, consumers: () => [], sockets: () => 0, lag: async () => ({ rows: [], complete: true }) });
  // Counters and histograms show their samples once a label set is used.
  m.observeEvent({ seq: 1, time: '', actor: 'kafka', type: 'messages.produced', topic: 't', count: 1, partitions: { '0': 1 } });
  m.observeEvent({ seq: 2, time: '', actor: 'kafka', type: 'messages.consumed', consumerId: 'c', groupId: 'g', topic: 't', count: 1, offsets: {} });
  m.observeEvent({ seq: 3, time: '', actor: 'kafka', type: 'group.rebalanced', groupId: 'g', consumerId: 'c', memberId: 'm', generation: 1, assigned: [], revoked: [] });
  m.observeHttp('GET', '/api/health', 200, 0.001);
  const names = new Set<string>();
  for (const f of parseMetrics(await m.text()).values()) {
    names.add(f.name);
    if (f.type === 'HISTOGRAM' || f.type === 'SUMMARY') for (const s of ['_bucket', '_sum', '_count']) names.add(f.name + s);
  }
  return names;
}

/** The metric names a PromQL expression reads (ours all start klab_). */
const metricsOf = (expr: string) => [...expr.matchAll(/\bklab_[a-z0-9_]+/g)].map((m) => m[0]);

describe('compose/: Prometheus and Grafana next to the cluster', () => {
  it('runs both on the host network, under the metrics profile, with images pinned in .env', () => {
    for (const [name, variable] of [['prometheus', 'PROMETHEUS_IMAGE'], ['grafana', 'GRAFANA_IMAGE']] as const) {
      const svc = compose.services[name];
      expect(svc).toBeDefined();
      expect(svc.image).toContain(variable);
      expect(svc.profiles).toEqual(['metrics']);
      expect(svc.network_mode).toBe('host');
      expect(env[variable]).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it('mounts files that exist', () => {
    for (const name of ['prometheus', 'grafana']) {
      for (const v of compose.services[name].volumes ?? []) {
        const source = v.split(':')[0];
        expect({ volume: v, exists: fs.existsSync(path.join(composeDir, source)) }).toEqual({ volume: v, exists: true });
      }
    }
    const prometheusMount = compose.services.prometheus.volumes!.find((v) => v.startsWith('./prometheus/prometheus.yml:'))!;
    expect(compose.services.prometheus.command).toContain(`--config.file=${prometheusMount.split(':')[1]}`);
  });

  it("scrapes the lab server's GET /metrics on its default port", () => {
    const prom = yaml('prometheus/prometheus.yml') as { scrape_configs: Array<{ job_name: string; metrics_path?: string; scheme?: string; static_configs: Array<{ targets: string[] }> }> };
    const job = prom.scrape_configs.find((j) => j.job_name === 'kafka-lab')!;
    expect(job).toBeDefined();
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.scheme ?? 'http').toBe('http');
    expect(job.static_configs.flatMap((s) => s.targets)).toEqual([`127.0.0.1:${loadConfig({}).port}`]);
  });

  it('gives Grafana that Prometheus as a datasource, and the dashboard through a provider', () => {
    const ds = yaml('grafana/provisioning/datasources/prometheus.yml') as { datasources: Array<{ uid: string; type: string; url: string }> };
    const listen = compose.services.prometheus.command!.find((c) => c.startsWith('--web.listen-address='))!.split('=')[1];
    expect(ds.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: `http://${listen}` })]);
    const provider = (yaml('grafana/provisioning/dashboards/kafka-lab.yml') as { providers: Array<{ type: string; options: { path: string } }> }).providers[0];
    expect(provider.type).toBe('file');
    const dashboardsMount = compose.services.grafana.volumes!.find((v) => v.startsWith('./grafana/dashboards:'))!;
    expect(dashboardsMount.split(':')[1]).toBe(provider.options.path);
    // Every panel and query uses that datasource.
    const uids = dashboard.panels.flatMap((p) => [p.datasource?.uid, ...p.targets.map((t) => t.datasource?.uid)]);
    expect(new Set(uids)).toEqual(new Set([ds.datasources[0].uid]));
  });

  it('queries only figures the server exports, and shows every figure API.md lists', async () => {
    const names = await exported();
    const queries = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    expect(queries.length).toBeGreaterThan(10);
    const unknown = queries.flatMap((q) => metricsOf(q.expr).filter((n) => !names.has(n)).map((n) => `${q.panel}: ${n}`));
    expect(unknown).toEqual([]);
    expect(queries.filter((q) => metricsOf(q.expr).length === 0)).toEqual([]);
    const used = new Set(queries.flatMap((q) => metricsOf(q.expr)));
    for (const figure of ['klab_messages_produced_total', 'klab_messages_consumed_total', 'klab_consumer_group_lag', 'klab_partitions_under_replicated',
      'klab_partitions_offline', 'klab_group_rebalances_total', 'klab_node_state', 'klab_http_request_duration_seconds_bucket', 'klab_socket_connections', 'klab_consumers']) {
      expect({ figure, shown: used.has(figure) }).toEqual({ figure, shown: true });
    }
  });
});
