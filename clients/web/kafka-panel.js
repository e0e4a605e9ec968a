// "Your Kafka client": the caller's settings for their own Kafka clients on the class listener (GET
// /api/me/kafka) with the kcat line and a client.properties, each with a copy button. Hidden while the
// server has no class listener (404). A classic script loaded before app.js, like class.js: it uses
// app.js's helpers ($, h, api) and class.js's copyText only inside functions.
//
// The instructor's credentials are a Kafka super user's, on a port the room can reach, on a page that may
// be projected: for them the panel starts closed and, once opened, shows the password (also inside the
// kcat line and client.properties) masked until "Show". The copy buttons copy the real text either way.
'use strict';

const KAFKA_MASK = '\u2022'.repeat(8);
/** The settings shown (null before the first answer), and whether the password is shown. */
const kafkaPanel = { s: null, revealed: true };

async function loadKafkaPanel() {
  let s;
  try {
    s = await api('GET', '/me/kafka');
  } catch (e) {
    // 404: the class listener is off; nothing to show (the API's sentence says how to turn it on).
    if (e && e.status === 404) {
      $('kafka-panel').hidden = true;
      return;
    }
    throw e;
  }
  renderKafkaPanel(s);
}

/** The instructor (no prefix: every topic and group) is the super user whose password is kept off the screen. */
const kafkaSuperUser = (s) => !s.prefix;

function renderKafkaPanel(s) {
  const first = kafkaPanel.s === null || kafkaPanel.s.username !== s.username;
  kafkaPanel.s = s;
  if (first) {
    const guarded = kafkaSuperUser(s);
    kafkaPanel.revealed = !guarded;
    $('kafka-expand').hidden = !guarded;
    $('kafka-expand').textContent = 'Open';
    $('kafka-body').hidden = guarded;
  }
  drawKafkaPanel();
  $('kafka-panel').hidden = false;
}

function drawKafkaPanel() {
  const s = kafkaPanel.s;
  const shown = (text) => (kafkaPanel.revealed ? text : text.split(s.password).join(KAFKA_MASK));
  $('kafka-prefix').textContent = s.prefix
    ? `Topic and group names must start with ${s.prefix} on the cluster (the API shows them without it).`
    : 'You are a super user on the class listener: every topic and group.';
  $('kafka-masked').hidden = !kafkaSuperUser(s);
  $('kafka-masked').firstChild.textContent = kafkaPanel.revealed
    ? 'The password is shown. '
    : 'The password is hidden (this page may be on a projector). ';
  $('kafka-reveal').textContent = kafkaPanel.revealed ? 'Hide' : 'Show';
  const dl = $('kafka-settings');
  dl.replaceChildren(...LabClient.text.kafkaSettingRows(s).flatMap(([k, v]) => [
    h('dt', null, k),
    h('dd', null, h('code', { testid: `kafka-${k.replace(/ /g, '-')}` }, k === 'password' ? shown(v) : v)),
  ]));
  if (s.caUrl) {
    dl.append(h('dt', null, 'CA certificate'), h('dd', null, h('a', { href: s.caUrl, download: 'ca.pem', testid: 'kafka-ca' }, 'ca.pem'), ' (save it next to where you run kcat)'));
  }
  $('kafka-kcat').textContent = shown(s.kcat);
  $('kafka-properties').textContent = shown(s.clientProperties);
}

function wireKafkaPanel() {
  for (const [button, source, field] of [['kafka-kcat-copy', 'kafka-kcat', 'kcat'], ['kafka-properties-copy', 'kafka-properties', 'clientProperties']]) {
    $(button).addEventListener('click', async () => {
      if (!kafkaPanel.s) return;
      const copied = await copyText(kafkaPanel.s[field], $(source));
      // Without the clipboard copyText selects the text shown: masked, that is not the real one.
      $(button).textContent = copied ? 'copied' : kafkaPanel.revealed ? 'selected: Ctrl-C' : 'Show, then Ctrl-C';
      setTimeout(() => { $(button).textContent = 'Copy'; }, 2000);
    });
  }
  $('kafka-expand').addEventListener('click', () => {
    const body = $('kafka-body');
    body.hidden = !body.hidden;
    $('kafka-expand').textContent = body.hidden ? 'Open' : 'Close';
  });
  $('kafka-reveal').addEventListener('click', () => {
    kafkaPanel.revealed = !kafkaPanel.revealed;
    if (kafkaPanel.s) drawKafkaPanel();
  });
}
