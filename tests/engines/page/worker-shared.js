importScripts('/dist/sseshim.js', '/page/realm.js');
onconnect = (c) => {
  const port = c.ports[0];
  runRealm(sseshim.EventSource, 'shared').then((log) => port.postMessage(log), (e) => port.postMessage(['failed ' + e]));
};
