importScripts('/dist/sseshim.js', '/page/realm.js');
runRealm(sseshim.EventSource, 'classic').then((log) => postMessage(log), (e) => postMessage(['failed ' + e]));
