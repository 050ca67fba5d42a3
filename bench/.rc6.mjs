import { check } from "recheck";
const pats = [["^0+(?=.)",""],["NULL pointer dereference",""],["^(?:Oops: )?(?:Oops|Internal error)[^\\[]{0,120} \\[#(?:[0-9]{1,12})\\]",""],["\\[Hardware Error\\]: (?<what>.{1,200})$",""],["last function: (?<lastfn>(?:[A-Za-z0-9_.$]{1,256}))",""],["^(a+)+(?=b)",""],["\\s+(?=x)$",""], ["(?:\\.(?:isra|constprop|part|cold)(?:\\.[0-9]{1,24})?)+$",""]];
for (const seed of [0, 1, 7]) for (const [s,f] of pats) { const t=Date.now(); const r = await check(s,f,{checker:"fuzz", randomSeed: seed, recallTimeout: 2000, timeout: 60000}); console.log(seed, s.slice(0,40), r.status, r.checker, r.complexity?.summary, r.error?.kind, Date.now()-t); }
process.exit(0);
