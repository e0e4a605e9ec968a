// "Your Kafka client": the caller's settings for their own Kafka clients on the class listener (GET
// /api/me/kafka) with the kcat line and a client.properties, each with a copy button. Hidden while the
// server has no class listener (404). A classic script loaded before app.js, like class.js: it uses
// app.js's helpers ($, h, api) and class.js's copyText only inside functions.
'use strict';

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

function renderKafkaPanel(s) {
  $('kafka-prefix').textContent = s.prefix
    ? `Topic and group names must start with ${s.prefix} on the cluster (the API shows them without it).`
    : 'You are a super user on the class listener: every topic and group.';
  const dl = $('kafka-settings');
  dl.replaceChildren(...LabClient.text.kafkaSettingRows(s).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, h('code', { testid: `kafka-${k.replace(/ /g, '-')}` }, v))]));
  if (s.caUrl) {
    dl.append(h('dt', null, 'CA certificate'), h('dd', null, h('a', { href: s.caUrl, download: 'ca.pem', testid: 'kafka-ca' }, 'ca.pem'), ' (save it next to where you run kcat)'));
  }
  $('kafka-kcat').textContent = s.kcat;
  $('kafka-properties').textContent = s.clientProperties;
  $('kafka-panel').hidden = false;
}

function wireKafkaPanel() {
  for (const [button, source] of [['kafka-kcat-copy', 'kafka-kcat'], ['kafka-properties-copy', 'kafka-properties']]) {
    $(button).addEventListener('click', async () => {
      $(button).textContent = (await copyText($(source).textContent, $(source))) ? 'copied' : 'selected: Ctrl-C';
      setTimeout(() => { $(button).textContent = 'Copy'; }, 2000);
    });
  }
}
