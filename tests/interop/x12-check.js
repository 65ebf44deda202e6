#!/usr/bin/env node
'use strict';
// x12-check.js FILE — check one outbound X12 file with two independent npm parsers
// (node-x12's X12Parser in strict mode, x12-parser's stream parser and grouper) and with
// envelope, count and HL checks of our own; print one line per parser, the structure
// (interchanges, groups, each ST with its segment count, the HL tree) and the verdict.
// Exit 0 only when both parsers accepted the file and every check passed; 1 otherwise;
// 2 on a usage or I/O error. The file is partner-bound data we wrote: nothing in it is
// trusted, every count is recomputed. See doc/interop.md.

const { X12Parser } = require('node-x12');
const { X12parser, X12grouper, Schema } = require('x12-parser');
const { Findings, isDate6, isDate8, isTime, readOrExit, errText, show } = require('./lib.js');

const PROG = 'x12-check';

// The ISA's element widths (ISA01..ISA16), fixed by the standard.
const ISA_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

// GS01 functional identifier code of the transaction sets we write or may write.
const FUNCTIONAL_ID = {
	810: 'IN', 812: 'CD', 820: 'RA', 824: 'AG', 832: 'SC', 846: 'IB', 850: 'PO', 852: 'PD',
	855: 'PR', 856: 'SH', 860: 'PC', 861: 'RC', 864: 'TX', 940: 'OW', 943: 'AR', 944: 'RE',
	945: 'SW', 947: 'AW', 997: 'FA', 999: 'FA',
};

// The segment that must follow ST, per transaction set.
const BEGINNING = {
	810: 'BIG', 812: 'BCD', 820: 'BPR', 824: 'BGN', 832: 'BCT', 846: 'BIA', 850: 'BEG',
	852: 'XQ', 855: 'BAK', 856: 'BSN', 860: 'BCH', 861: 'BRA', 864: 'BMG', 940: 'W05',
	943: 'W06', 944: 'W17', 945: 'W06', 947: 'W15', 997: 'AK1', 999: 'AK1',
};

// Mandatory segments of the summary area (004010 and 005010 alike).
const REQUIRED = { 810: ['TDS'], 940: ['W76'], 997: ['AK9'], 999: ['AK9'] };

// Split TEXT into segments at TERM; one optional CR, LF or CRLF may follow each terminator.
// Returns { segs: [{ raw, pos }], tail } where tail is unterminated data at the end.
function frame(text, term) {
	const segs = [];
	let pos = 0;
	while (pos < text.length) {
		const end = text.indexOf(term, pos);
		if (end < 0)
			return { segs, tail: { pos, text: text.slice(pos) } };
		segs.push({ raw: text.slice(pos, end), pos });
		pos = end + 1;
		if (term !== '\r' && term !== '\n' && text.startsWith('\r\n', pos))
			pos += 2;
		else if ((text[pos] === '\n' && term !== '\n') || (text[pos] === '\r' && term !== '\r' && term !== '\n'))
			pos += 1;
	}
	return { segs, tail: null };
}

// Build the envelope tree of the raw segments: interchanges > groups > transactions.
// Problems of nesting (missing trailers, segments outside their envelope) go to F.
function envelopes(segs, f) {
	const ics = [];
	let ic = null, gs = null, st = null;
	for (let i = 0; i < segs.length; i++) {
		const s = segs[i], where = `segment ${i + 1} (${s.tag})`;
		switch (s.tag) {
		case 'ISA':
			f.check(ic === null, () => `${where}: ISA inside interchange ${ic.isa.el[13]}, which has no IEA`);
			ic = { isa: s, iea: null, groups: [], ta1: [] };
			ics.push(ic);
			gs = st = null;
			break;
		case 'IEA':
			f.check(ic !== null, `${where}: IEA outside an interchange`);
			f.check(gs === null, () => `${where}: IEA while group ${gs.gs.el[6]} has no GE`);
			if (ic)
				ic.iea = s;
			ic = gs = st = null;
			break;
		case 'GS':
			f.check(ic !== null, `${where}: GS outside an interchange`);
			f.check(gs === null, () => `${where}: GS inside group ${gs.gs.el[6]}, which has no GE`);
			gs = { gs: s, ge: null, txs: [] };
			if (ic)
				ic.groups.push(gs);
			st = null;
			break;
		case 'TA1':
			// The interchange acknowledgment: after the ISA, before the interchange's first GS.
			if (f.check(ic !== null && gs === null && ic.groups.length === 0, `${where}: TA1 not between ISA and the first GS`))
				ic.ta1.push(s);
			break;
		case 'GE':
			f.check(gs !== null, `${where}: GE outside a functional group`);
			f.check(st === null, () => `${where}: GE while ST ${st.st.el[1]} ${st.st.el[2]} has no SE`);
			if (gs)
				gs.ge = s;
			gs = st = null;
			break;
		case 'ST':
			f.check(gs !== null, `${where}: ST outside a functional group`);
			f.check(st === null, () => `${where}: ST inside transaction set ${st.st.el[2]}, which has no SE`);
			st = { st: s, se: null, body: [] };
			if (gs)
				gs.txs.push(st);
			break;
		case 'SE':
			f.check(st !== null, `${where}: SE outside a transaction set`);
			if (st)
				st.se = s;
			st = null;
			break;
		default:
			if (f.check(st !== null, `${where}: outside a transaction set`))
				st.body.push(s);
		}
	}
	if (ic !== null)
		f.fail(`interchange ${ic.isa.el[13]} has no IEA (file truncated?)`);
	if (gs !== null)
		f.fail(`group ${gs.gs.el[6]} has no GE (file truncated?)`);
	if (st !== null)
		f.fail(`transaction set ${st.st.el[1]} ${st.st.el[2]} has no SE (file truncated?)`);
	return ics;
}

// Check the ISA segment's text and content; return its separators or null.
function checkIsa(text, f) {
	if (!f.check(text.startsWith('ISA'), () => `the file does not start with ISA (starts with ${show(text.slice(0, 8))})`))
		return null;
	if (!f.check(text.length >= 106, `the file ends inside the ISA (${text.length} characters)`))
		return null;
	const sep = text[3], term = text[105];
	const fields = text.slice(0, 105).split(sep);
	if (!f.check(fields.length === 17, `the ISA has ${fields.length - 1} element separators ${show(sep)} in its 106 characters, not 16`))
		return null;
	let widths = true;
	for (let i = 1; i <= 16; i++)
		widths = f.check(fields[i].length === ISA_WIDTHS[i - 1],
			`ISA${String(i).padStart(2, '0')} is ${fields[i].length} characters wide, not ${ISA_WIDTHS[i - 1]}: ${show(fields[i])}`) && widths;
	if (!widths)
		return null;
	const comp = fields[16], rep = fields[11], version = fields[12];
	const seps = [sep, comp, term];
	f.check(new Set(seps).size === 3, `separators not distinct: element ${show(sep)} component ${show(comp)} terminator ${show(term)}`);
	for (const c of seps)
		f.check(!/[A-Za-z0-9 ]/.test(c), `separator ${show(c)} is a letter, digit or space`);
	f.check(/^(00|01|02|03|04|05|06)$/.test(fields[1]), `ISA01 ${show(fields[1])} is not an authorization qualifier`);
	f.check(/^(00|01)$/.test(fields[3]), `ISA03 ${show(fields[3])} is not a security qualifier`);
	f.check(/^[0-9A-Z]{2}$/.test(fields[5]) && /^[0-9A-Z]{2}$/.test(fields[7]), 'ISA05/ISA07 are not two-character qualifiers');
	f.check(fields[6].trim() !== '' && fields[8].trim() !== '', 'ISA06 or ISA08 (sender/receiver id) is blank');
	f.check(isDate6(fields[9]), `ISA09 ${show(fields[9])} is not a YYMMDD date`);
	f.check(isTime(fields[10], false), `ISA10 ${show(fields[10])} is not an HHMM time`);
	f.check(/^\d{5}$/.test(version), `ISA12 ${show(version)} is not a five-digit version`);
	if (version < '00402')
		f.check(rep === 'U', `ISA11 is ${show(rep)}: before version 00402 it is the standards identifier U`);
	else
		f.check(!/[A-Za-z0-9 ]/.test(rep) && !seps.includes(rep),
			`ISA11 ${show(rep)} is not a repetition separator distinct from the others (version ${version})`);
	f.check(/^\d{9}$/.test(fields[13]), `ISA13 ${show(fields[13])} is not nine digits`);
	f.check(/^[01]$/.test(fields[14]), `ISA14 ${show(fields[14])} is not 0 or 1`);
	f.check(/^[PT]$/.test(fields[15]), `ISA15 ${show(fields[15])} is not P or T`);
	return { sep, comp, term, rep, version };
}

// Check the HL hierarchy of one transaction set; return its root-to-leaf paths as text.
function checkHl(tx, label, f) {
	const hls = tx.body.filter(s => s.tag === 'HL');
	if (hls.length === 0)
		return [];
	const byId = new Map(), children = new Map();
	hls.forEach((hl, i) => {
		const id = hl.el[1], parent = hl.el[2] || '', code = hl.el[3] || '';
		f.check(id === String(i + 1), `${label}: HL01 is ${show(id)}, expected ${i + 1} (HL01 counts from 1 in order)`);
		f.check(code !== '', `${label}: HL ${id} has no level code (HL03)`);
		if (i === 0)
			f.check(parent === '', `${label}: the first HL (${id}) names a parent (${parent})`);
		if (parent !== '') {
			f.check(parent !== id, `${label}: HL ${id} is its own parent`);
			if (f.check(byId.has(parent), `${label}: HL ${id} points at parent ${parent}, which is not an earlier HL`))
				children.get(parent).push(id);
		}
		if (hl.el.length > 4 && hl.el[4] !== '')
			f.check(hl.el[4] === '0' || hl.el[4] === '1', `${label}: HL ${id} HL04 ${show(hl.el[4])} is not 0 or 1`);
		f.check(!byId.has(id), `${label}: HL01 ${id} is used twice`);
		byId.set(id, { parent, code, hl04: hl.el[4] || '' });
		children.set(id, []);
	});
	for (const [id, node] of byId) {
		const has = children.get(id).length > 0;
		if (node.hl04 !== '')
			f.check((node.hl04 === '1') === has,
				`${label}: HL ${id} HL04 is ${node.hl04} but it has ${has ? '' : 'no '}children`);
	}
	const roots = [...byId].filter(([, n]) => n.parent === '' || !byId.has(n.parent)).map(([id]) => id);
	if (tx.st.el[1] === '856') {
		f.check(roots.length === 1, `${label}: the 856 has ${roots.length} top-level HLs, expected one shipment`);
		f.check(byId.get(hls[0].el[1]).code === 'S', `${label}: the first HL of an 856 is level ${show(byId.get(hls[0].el[1]).code)}, not S (shipment)`);
	}
	const paths = [];
	const walk = (id, prefix) => {
		const here = prefix.concat(`HL${id} ${byId.get(id).code}`);
		const kids = children.get(id);
		if (kids.length === 0)
			paths.push(here.join(' -> '));
		for (const k of kids)
			walk(k, here);
	};
	roots.forEach(r => walk(r, []));
	return paths;
}

// Check one transaction set of the raw tree; push its summary to OUT.
function checkTx(tx, gsNo, seenIds, views, f, out) {
	const st = tx.st, type = st.el[1] || '', ctl = st.el[2] || '';
	const label = `ST ${type} ${ctl}`;
	const count = tx.body.length + (tx.se ? 2 : 1);
	f.check(/^\d{3}$/.test(type), `${label}: ST01 is not a three-digit transaction set identifier`);
	f.check(/^[0-9A-Za-z]{4,9}$/.test(ctl), `${label}: ST02 ${show(ctl)} is not 4 to 9 characters`);
	f.check(!seenIds.has(ctl), `${label}: ST02 ${ctl} is used twice in group ${gsNo}`);
	seenIds.add(ctl);
	if (BEGINNING[type])
		f.check(tx.body.length > 0 && tx.body[0].tag === BEGINNING[type],
			`${label}: the segment after ST is ${tx.body.length ? tx.body[0].tag : 'missing'}, not ${BEGINNING[type]}`);
	for (const tag of REQUIRED[type] || [])
		f.check(tx.body.some(s => s.tag === tag), `${label}: mandatory ${tag} segment missing`);
	if (type === '856')
		f.check(tx.body.some(s => s.tag === 'HL'), `${label}: an 856 without HL segments`);
	let seText = 'no SE';
	if (tx.se) {
		const se01 = tx.se.el[1] || '', se02 = tx.se.el[2] || '';
		const others = views.map(v => `${v.name} saw ${v.count === undefined ? 'no such transaction set' : v.count}`).join(', ');
		f.check(/^\d{1,10}$/.test(se01) && +se01 === count && views.every(v => v.count === count),
			`${label}: SE01 is ${show(se01)}, the set has ${count} segments (${others})`);
		f.check(se02 === ctl, `${label}: SE02 ${show(se02)} is not ST02 ${ctl}`);
		seText = `SE01 ${se01}`;
	}
	out.push(`      ${label}: ${count} segments, ${seText}`);
	for (const p of checkHl(tx, label, f))
		out.push(`        ${p}`);
}

// Parse TEXT with node-x12 in strict mode; return { ok, error, txCounts, segments, txs }.
// node-x12 does not know TA1 (it rejects any segment outside a group): SEGS, when given,
// are the raw segments and ENDS their end offsets, used to take the TA1 segments out first.
function runNodeX12(text, segs, ends) {
	let removed = 0;
	if (segs && segs.some(s => s.tag === 'TA1')) {
		let t = '';
		segs.forEach((s, i) => {
			if (s.tag === 'TA1')
				removed += 1;
			else
				t += text.slice(s.pos, ends[i]);
		});
		text = t;
		if (!segs.some(s => s.tag === 'GS'))
			return { ok: true, na: true, removed };
	}
	const parser = new X12Parser(true);
	let result;
	try {
		result = parser.parse(text);
	} catch (e) {
		return { ok: false, error: errText(e), removed };
	}
	if (result === undefined)
		return { ok: false, error: 'no interchange parsed' };
	const ics = Array.isArray(result) ? Array.from(result) : [result];
	let segments = 0;
	const txCounts = [];
	for (const ic of ics) {
		segments += (ic.header ? 1 : 0) + (ic.trailer ? 1 : 0);
		for (const g of ic.functionalGroups) {
			segments += (g.header ? 1 : 0) + (g.trailer ? 1 : 0);
			for (const t of g.transactions) {
				const n = t.segments.length + (t.header ? 1 : 0) + (t.trailer ? 1 : 0);
				segments += n;
				txCounts.push(n);
			}
		}
	}
	const diag = parser.diagnostics.map(d => d.message);
	return { ok: diag.length === 0, error: diag.join('; '), txCounts, segments, interchanges: ics.length, removed };
}

// Tokenise BUF with x12-parser and group it with its X12grouper (ISA > GS > ST);
// return { ok, error, tokens, groups }.
async function runX12Parser(buf) {
	const collect = (stream, input) => new Promise((resolve, reject) => {
		const items = [];
		stream.on('data', d => items.push(d));
		stream.on('end', () => resolve(items));
		stream.on('error', reject);
		for (const x of input)
			stream.write(x);
		stream.end();
	});
	try {
		let tokens = await collect(new X12parser(), [buf]);
		// A line break after the last terminator comes out as one nameless segment.
		if (tokens.length > 0 && tokens[tokens.length - 1].name === '')
			tokens = tokens.slice(0, -1);
		const schema = new Schema('', {
			start: 'ISA', end: 'IEA', name: 'interchange',
			groups: [{ start: 'GS', end: 'GE', name: 'group', groups: [{ start: 'ST', end: 'SE', name: 'transaction' }] }],
		}, true);
		const groups = await collect(new X12grouper(schema), tokens.map(t => Object.assign({}, t)));
		return { ok: true, tokens, groups };
	} catch (e) {
		return { ok: false, error: errText(e) };
	}
}

// Check x12-parser's grouping: every group closed by its own trailer, counts; return the
// per-transaction segment counts in order.
function checkGrouping(groups, f) {
	const txCounts = [];
	const closed = (g, end, what) => f.check(g.data.length > 0 && !g.data[g.data.length - 1].isGroup && g.data[g.data.length - 1].name === end,
		`x12-parser: ${what} is not closed by ${end}`);
	let interchanges = 0, bare = 0;
	for (const ic of groups) {
		// Its grouper holds the ISA back until a GS names the version: a TA1 comes out before
		// its interchange, and an interchange without GS loses its ISA (its IEA comes alone).
		if (!ic.isGroup && ic.name === 'TA1')
			continue;
		if (!ic.isGroup && ic.name === 'IEA') {
			bare += 1;
			continue;
		}
		if (!f.check(ic.isGroup === true && ic.name === 'interchange', () => `x12-parser: ${ic.name ? show(String(ic.name).slice(0, 20)) : 'a nameless segment'} outside any interchange`))
			continue;
		interchanges += 1;
		const isa = ic.data[0];
		closed(ic, 'IEA', `interchange ${isa['13']}`);
		const gss = ic.data.filter(d => d.isGroup);
		const iea = ic.data.find(d => !d.isGroup && d.name === 'IEA');
		if (iea)
			f.check(+iea['1'] === gss.length, `x12-parser: IEA01 ${iea['1']} but it grouped ${gss.length} functional group(s)`);
		for (const g of gss) {
			const gsSeg = g.data[0];
			closed(g, 'GE', `group ${gsSeg['6']}`);
			const sts = g.data.filter(d => d.isGroup);
			const ge = g.data.find(d => !d.isGroup && d.name === 'GE');
			if (ge)
				f.check(+ge['1'] === sts.length, `x12-parser: GE01 ${ge['1']} but it grouped ${sts.length} transaction set(s) in group ${gsSeg['6']}`);
			for (const t of sts) {
				closed(t, 'SE', `transaction set ${t.data[0]['1']} ${t.data[0]['2']}`);
				txCounts.push(t.data.length);
			}
		}
	}
	return { txCounts, interchanges, bare };
}

// The element values of an x12-parser token, components joined again with COMP.
function tokenValues(tok, comp) {
	const vals = [];
	for (let i = 1; Object.prototype.hasOwnProperty.call(tok, String(i)); i++) {
		const parts = [tok[String(i)]];
		for (let j = 1; Object.prototype.hasOwnProperty.call(tok, `${i}-${j}`); j++)
			parts.push(tok[`${i}-${j}`]);
		vals.push(parts.join(comp));
	}
	return vals;
}

// Compare x12-parser's tokens with our raw segments (x12-parser trims every value).
function compareTokens(tokens, segs, comp, f) {
	if (!f.check(tokens.length === segs.length, `x12-parser read ${tokens.length} segments, the file has ${segs.length}`))
		return;
	for (let i = 0; i < segs.length; i++) {
		const want = segs[i].el.slice(1).map(v => segs[i].tag === 'ISA' ? v.trim()
			: v.split(comp).map(c => c.trim()).join(comp));
		const got = tokenValues(tokens[i], comp);
		const same = tokens[i].name === segs[i].tag && got.length === want.length && got.every((v, k) => v === want[k]);
		if (!f.check(same, () => `x12-parser reads segment ${i + 1} (${segs[i].tag}) differently: ${show([tokens[i].name].concat(got))}`))
			return;
	}
}

async function main() {
	const file = process.argv[2];
	if (!file || process.argv.length !== 3) {
		process.stdout.write(`usage: ${PROG} FILE\n`);
		return 2;
	}
	const buf = readOrExit(file, PROG);
	const text = buf.toString('latin1');
	const f = new Findings();
	const out = [`${file}:`];

	const isa = checkIsa(text, f);
	const raw = isa ? frame(text, isa.term) : { segs: [], tail: null };
	if (raw.tail)
		f.fail(`unterminated data at the end of the file (offset ${raw.tail.pos}): ${show(raw.tail.text.slice(0, 40))}`);
	const segs = [];
	raw.segs.forEach((s, i) => {
		const el = s.raw.split(isa.sep);
		const seg = { tag: el[0], el, pos: s.pos };
		f.check(/^[A-Z][A-Z0-9]{1,2}$/.test(seg.tag), `segment ${i + 1} at offset ${s.pos} has no valid tag: ${show(s.raw.slice(0, 30))}`);
		const bad = /[^\x20-\x7e]/.exec(s.raw);
		f.check(bad === null, () => `segment ${i + 1} (${seg.tag}) contains ${show(bad[0])}: X12 data is printable ASCII`);
		segs.push(seg);
	});
	const ends = raw.segs.map((s, i) => i + 1 < raw.segs.length ? raw.segs[i + 1].pos : (raw.tail ? raw.tail.pos : text.length));

	// The parsers: their own verdict, whatever our checks say.
	const nx = runNodeX12(text, isa ? segs : null, ends);
	const xp = await runX12Parser(buf);

	const ta1 = nx.removed ? `; ${nx.removed} TA1 segment(s) taken out first, node-x12 does not know TA1` : '';
	if (nx.na) {
		out.push(`node-x12 strict: not applicable (TA1 only, no functional group${ta1})`);
		f.note('node-x12 needs a functional group: this TA1-only file was checked without it');
	} else if (nx.ok) {
		out.push(`node-x12 strict: OK (${nx.segments} segments, ${nx.txCounts.length} transaction sets${ta1})`);
	} else {
		out.push(`node-x12 strict: ERROR ${nx.error}`);
		f.fail(`node-x12 strict rejected the file: ${nx.error}`);
	}
	let grouping = null;
	if (xp.ok) {
		grouping = checkGrouping(xp.groups, f);
		out.push(`x12-parser: OK (${xp.tokens.length} segments, ${grouping.txCounts.length} transaction sets)`);
		if (segs.length > 0)
			compareTokens(xp.tokens, segs, isa.comp, f);
	} else {
		out.push(`x12-parser: ERROR ${xp.error}`);
		f.fail(`x12-parser rejected the file: ${xp.error}`);
	}
	if (nx.ok && !nx.na)
		f.check(nx.segments + nx.removed === segs.length, `node-x12 saw ${nx.segments} segments${ta1}, the file has ${segs.length}`);

	const ics = envelopes(segs, f);
	f.check(ics.length > 0, 'no interchange in the file');
	if (segs.length > 0)
		f.check(segs[segs.length - 1].tag === 'IEA', `the file ends with ${segs[segs.length - 1].tag}, not IEA (truncated?)`);
	out.push('structure:');
	let txIndex = 0;
	const seenIsa = new Set();
	for (const ic of ics) {
		const e = ic.isa.el;
		f.check(!seenIsa.has(e[13]), `ISA13 ${e[13]} is used twice in the file`);
		seenIsa.add(e[13]);
		out.push(`  ISA ${e[13]} ${e[5]}:${(e[6] || '').trim()} -> ${e[7]}:${(e[8] || '').trim()} (${e[12]}, ${e[15]}): ${ic.groups.length} group(s)`);
		if (ic.iea) {
			f.check(ic.iea.el[2] === e[13], `IEA02 ${show(ic.iea.el[2])} is not ISA13 ${e[13]}`);
			f.check(/^\d{1,5}$/.test(ic.iea.el[1]) && +ic.iea.el[1] === ic.groups.length,
				`interchange ${e[13]}: IEA01 is ${show(ic.iea.el[1])}, it has ${ic.groups.length} group(s)`);
		}
		f.check(ic.groups.length > 0 || ic.ta1.length > 0, `interchange ${e[13]} has neither a functional group nor a TA1`);
		for (const t of ic.ta1) {
			const a = t.el;
			f.check(/^\d{9}$/.test(a[1] || ''), `TA1: TA101 ${show(a[1])} is not a nine-digit control number`);
			f.check(isDate6(a[2] || '') && isTime(a[3] || '', false), `TA1: TA102/TA103 ${show(a[2])} ${show(a[3])} are not YYMMDD HHMM`);
			f.check(/^[AER]$/.test(a[4] || ''), `TA1: TA104 ${show(a[4])} is not A, E or R`);
			f.check(/^\d{3}$/.test(a[5] || ''), `TA1: TA105 ${show(a[5])} is not a three-digit note code`);
			f.check(a.length === 6, `TA1: ${a.length - 1} elements, not 5`);
			out.push(`    TA1 ${a[1]} ${a[4]} ${a[5]}`);
		}
		const seenGs = new Set();
		for (const g of ic.groups) {
			const h = g.gs.el, gsNo = h[6] || '';
			f.check(h.length === 9, `GS ${gsNo}: ${h.length - 1} elements, not 8`);
			f.check(/^[A-Z]{2}$/.test(h[1] || ''), `GS ${gsNo}: GS01 ${show(h[1])} is not a functional identifier`);
			f.check(/^.{2,15}$/.test(h[2] || '') && /^.{2,15}$/.test(h[3] || ''), `GS ${gsNo}: GS02/GS03 are not 2 to 15 characters`);
			const ver = h[8] || '';
			if (/^\d{6}/.test(ver) && ver.slice(0, 6) >= '004010')
				f.check(isDate8(h[4] || ''), `GS ${gsNo}: GS04 ${show(h[4])} is not a CCYYMMDD date (version ${ver})`);
			else
				f.check(isDate6(h[4] || '') || isDate8(h[4] || ''), `GS ${gsNo}: GS04 ${show(h[4])} is not a date`);
			f.check(isTime(h[5] || '', true), `GS ${gsNo}: GS05 ${show(h[5])} is not HHMM[SS[D[D]]]`);
			f.check(/^\d{1,9}$/.test(gsNo), `GS06 ${show(gsNo)} is not 1 to 9 digits`);
			f.check(!seenGs.has(gsNo), `GS06 ${gsNo} is used twice in interchange ${e[13]}`);
			seenGs.add(gsNo);
			f.check(/^(X|T)$/.test(h[7] || ''), `GS ${gsNo}: GS07 ${show(h[7])} is not X or T`);
			f.check(/^[0-9A-Z]{1,12}$/.test(ver), `GS ${gsNo}: GS08 ${show(ver)} is not a version`);
			out.push(`    GS ${h[1]} ${gsNo} (${ver}): ${g.txs.length} transaction set(s)`);
			if (g.ge) {
				f.check(g.ge.el[2] === gsNo, `GE02 ${show(g.ge.el[2])} is not GS06 ${gsNo}`);
				f.check(/^\d{1,6}$/.test(g.ge.el[1]) && +g.ge.el[1] === g.txs.length,
					`group ${gsNo}: GE01 is ${show(g.ge.el[1])}, it has ${g.txs.length} transaction set(s)`);
			}
			f.check(g.txs.length > 0, `group ${gsNo} has no transaction set`);
			const seenSt = new Set();
			for (const tx of g.txs) {
				const fid = FUNCTIONAL_ID[tx.st.el[1]];
				if (fid)
					f.check(h[1] === fid, `ST ${tx.st.el[1]} ${tx.st.el[2]} is in a group with GS01 ${h[1]}, not ${fid}`);
				const views = [];
				if (nx.ok && !nx.na)
					views.push({ name: 'node-x12', count: nx.txCounts[txIndex] });
				if (grouping)
					views.push({ name: 'x12-parser', count: grouping.txCounts[txIndex] });
				txIndex += 1;
				checkTx(tx, gsNo, seenSt, views, f, out);
			}
		}
	}
	if (nx.ok && !nx.na)
		f.check(nx.txCounts.length === txIndex, `node-x12 saw ${nx.txCounts.length} transaction sets, the file has ${txIndex}`);
	if (grouping)
		f.check(grouping.txCounts.length === txIndex && grouping.interchanges + grouping.bare === ics.length &&
			grouping.bare === ics.filter(ic => ic.groups.length === 0).length,
			`x12-parser grouped ${grouping.interchanges} interchange(s) (and ${grouping.bare} without a group) and ${grouping.txCounts.length} transaction set(s), the file has ${ics.length} and ${txIndex}`);
	const rc = f.finish(out);
	process.stdout.write(out.join('\n') + '\n');
	return rc;
}

main().then(rc => { process.exitCode = rc; }, e => {
	process.stdout.write(`${PROG}: internal error: ${e && e.stack ? e.stack : e}\n`);
	process.exitCode = 2;
});
