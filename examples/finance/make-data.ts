/**
 * Writes the finance headline data set of this example: data/train.jsonl and data/validation.jsonl, rows
 * {"text", "label", "lang"} with label positive / negative / neutral. Every headline is synthetic: rendered from
 * the hand-written templates below with fictional companies, people and figures (no open financial-headline set
 * is on this machine). English and Spanish.
 *
 * Held out by construction: every 4th template of each (label, language) and every 4th company name are used
 * only for validation, so a validation headline has a phrasing and a company never seen in training; the
 * sentiment words themselves (beats, slump, récord, ...) are shared, as they are in real news.
 *
 *   node --import tsx examples/finance/make-data.ts [OUT_DIR]      # default: examples/finance/data
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/data/index.js';
import { countLabels, holdOut, render, templatesOf, writeLines, type Slots } from './templates.js';

// Headline frames; the sentiment lives mostly in the slot words ({ups}/{downs}, {good}/{bad}), which every
// frame of that label shares, as real headlines reuse a small vocabulary of moves and causes.
const EN: Record<string, string[]> = {
  positive: [
    '{company} shares {up} {pct} on {good}',
    '{company} {ups} {pct} after {good}',
    '{good} lifts {company} shares',
    '{company} {ups} to record high on {good}',
    '{company} raises full-year outlook on {good}',
    '{company} posts record {quarter} revenue of {money}',
    '{company} wins {money} contract with {partner}',
    '{company} doubles dividend after bumper year',
    '{company} swings to profit in {quarter} as costs fall',
    '{broker} upgrades {company} to buy, citing {good}',
    '{company} beats {quarter} estimates; stock {ups} {pct}',
    'Investors cheer {good} at {company}',
    '{company} stock {ups} in early trading after {good}',
    '{company} {quarter} profit jumps {pct} on {good}',
    'Shares of {company} {up} as {partner} signs supply deal',
    '{company} margins widen thanks to {good}',
  ],
  negative: [
    '{company} shares {down} {pct} on {bad}',
    '{company} {downs} {pct} after {bad}',
    '{bad} hits {company} shares',
    '{company} {downs} to five-year low on {bad}',
    '{company} cuts full-year guidance on {bad}',
    '{company} posts {quarter} loss of {money}',
    '{company} to lay off {n} workers amid {bad}',
    '{company} suspends dividend after weak {quarter}',
    'Regulators fine {company} {money} over accounting failures',
    '{broker} downgrades {company} to sell, citing {bad}',
    '{company} misses {quarter} estimates; stock {downs} {pct}',
    'Investors flee {company} after {bad}',
    '{company} stock {downs} in early trading after {bad}',
    '{company} {quarter} profit falls {pct} on {bad}',
    '{company} files for bankruptcy protection after {bad}',
    '{company} loses {money} contract to a rival',
  ],
  neutral: [
    '{company} to report {quarter} results on {day}',
    '{company} names {person} as chief financial officer',
    '{company} shares little changed ahead of {quarter} earnings',
    '{company} to hold annual shareholder meeting in {city}',
    '{company} completes previously announced merger with {partner}',
    '{company} holds quarterly dividend steady',
    '{company} moves headquarters to {city}',
    '{company} reports {quarter} revenue in line with expectations',
    '{company} confirms talks with {partner}, says no decision has been made',
    '{company} to present at investor conference in {city} on {day}',
    '{company} stock flat as markets await {event}',
    '{company} keeps full-year forecast unchanged',
    '{company} appoints {person} to its board of directors',
    '{company} sets date for {quarter} earnings call',
    '{company} shares end steady as {event} looms',
    '{company} prices {money} bond offering',
  ],
};

const ES: Record<string, string[]> = {
  positive: [
    '{empresa} {sube} un {pct} en bolsa por {bueno}',
    'Las acciones de {empresa} {suben} un {pct} tras {bueno}',
    '{empresa} eleva sus previsiones anuales gracias a {bueno}',
    '{empresa} logra ventas récord de {dinero} en el {trimestre}',
    '{empresa} gana un contrato de {dinero} en {zona}',
    '{empresa} duplica su dividendo tras un año excelente',
    '{empresa} vuelve a beneficios en el {trimestre} por {bueno}',
    '{empresa} marca máximos históricos tras {bueno}',
  ],
  negative: [
    '{empresa} {baja} un {pct} en bolsa por {malo}',
    'Las acciones de {empresa} {bajan} un {pct} tras {malo}',
    '{empresa} recorta sus previsiones anuales por {malo}',
    '{empresa} pierde {dinero} en el {trimestre}',
    '{empresa} despedirá a {n} empleados por {malo}',
    '{empresa} suspende el dividendo tras un trimestre débil',
    '{empresa} entra en pérdidas en el {trimestre} por {malo}',
    '{empresa} marca mínimos de cinco años tras {malo}',
  ],
  neutral: [
    '{empresa} presentará sus resultados del {trimestre} el {dia}',
    '{empresa} nombra a {persona} nuevo director financiero',
    '{empresa} mantiene sin cambios su previsión anual',
    '{empresa} celebrará su junta de accionistas en {ciudad}',
    '{empresa} traslada su sede a {ciudad}',
    'Las acciones de {empresa} cierran sin cambios a la espera de resultados',
    '{empresa} emite bonos por valor de {dinero}',
    '{empresa} confirma contactos con {socio} sin decisión tomada',
  ],
};

const COMPANIES_EN = ['Norvex Energy', 'Halden Pharma', 'Brightwater Bank', 'Corvina Motors', 'Tessaly Foods', 'Quillon Software',
  'Maribel Airlines', 'Strand Retail', 'Orriva Mining', 'Kestrel Telecom', 'Altamira Steel', 'Pinecrest Insurance',
  'Lumen Semiconductors', 'Redfield Logistics', 'Sable Hotels', 'Vantor Chemicals', 'Greywell Media', 'Ostara Biotech',
  'Calder Shipping', 'Wexford Utilities'];
const COMPANIES_ES = ['Grupo Andino', 'Banco Meridional', 'Aceros del Norte', 'Eléctrica Peninsular', 'Constructora Pacífico',
  'Farmacéutica Solera', 'Telecom Austral', 'Inmobiliaria Costa Azul', 'Bodegas Riberal', 'Transportes Sierra', 'Seguros Almena',
  'Textil Levante'];

const pcts = ['1.5%', '2%', '3%', '3.8%', '4%', '5%', '6.2%', '7%', '8%', '9.5%', '11%', '12%', '15%', '18%', '22%', '30%'];
const moneyEn = ['$120 million', '$450 million', '$1.2 billion', '$2.5 billion', '$80 million', '$3 billion', '$600 million', '€900 million', '£300 million'];
const moneyEs = ['120 millones de euros', '450 millones de euros', '1.200 millones de euros', '80 millones de euros', '2.000 millones de euros', '35 millones de euros'];
const shared: Record<string, readonly string[]> = {
  pct: pcts,
  quarter: ['first-quarter', 'second-quarter', 'third-quarter', 'fourth-quarter', 'Q1', 'Q2', 'Q3', 'Q4', 'half-year'],
  money: moneyEn,
  up: ['jump', 'rise', 'climb', 'rally', 'surge', 'soar', 'gain', 'advance'],
  ups: ['jumps', 'rises', 'climbs', 'rallies', 'surges', 'soars', 'gains', 'advances'],
  down: ['slump', 'fall', 'drop', 'tumble', 'sink', 'slide', 'plunge', 'retreat'],
  downs: ['slumps', 'falls', 'drops', 'tumbles', 'sinks', 'slides', 'plunges', 'retreats'],
  good: ['strong {segment} demand', 'record {quarter} revenue', 'an upgrade from {broker}', 'a {money} contract win',
    'a takeover bid from {partner}', 'upbeat guidance', 'a bigger dividend', 'a {money} share buyback',
    'better-than-expected earnings', 'cost savings', 'robust {segment} sales', 'a surprise profit', 'rising market share'],
  bad: ['weak {segment} demand', 'a {quarter} loss', 'a downgrade from {broker}', 'a profit warning', 'a {money} fine',
    "the chief executive's abrupt exit", 'a product recall', 'a gloomy outlook', 'a dividend cut', 'rising {cost} costs',
    'disappointing earnings', 'a fraud probe', 'falling orders'],
  event: ['the central bank decision', 'jobs data', 'inflation figures', 'the earnings season', 'the annual meeting'],
  segment: ['cloud', 'truck', 'consumer', 'oncology', 'retail banking', 'chip', 'freight', 'travel', 'advertising', 'battery'],
  broker: ['Morgan Hale', 'Castell Securities', 'Baird & Lowe', 'Northgate Research', 'Rivington Capital'],
  partner: ['the US Navy', 'a Gulf airline', 'a European carmaker', 'the state of Texas', 'a Japanese retailer', 'a rival group'],
  region: ['China', 'Europe', 'Latin America', 'North America', 'India', 'Southeast Asia', 'the Middle East'],
  cost: ['energy', 'labour', 'shipping', 'raw material', 'interest', 'component'],
  n: ['200', '450', '1,200', '3,000', '800', '5,000', '150'],
  day: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'March 3', 'July 28', 'October 22'],
  person: ['Maria Chen', 'David Okafor', 'Laura Jensen', 'Rahul Mehta', 'Ana Torres', 'Peter Novak', 'Grace Liu'],
  city: ['London', 'Austin', 'Singapore', 'Frankfurt', 'Toronto', 'Dublin', 'Chicago', 'Zurich'],
  trimestre: ['primer trimestre', 'segundo trimestre', 'tercer trimestre', 'cuarto trimestre', 'primer semestre'],
  dinero: moneyEs,
  dia: ['lunes', 'martes', 'miércoles', 'jueves', 'viernes', '28 de julio', '3 de marzo'],
  persona: ['Lucía Serrano', 'Javier Molina', 'Carmen Ibáñez', 'Andrés Rojas', 'Marta Vidal'],
  ciudad: ['Madrid', 'Barcelona', 'Bilbao', 'Valencia', 'Sevilla', 'Málaga'],
  zona: ['China', 'Europa', 'Latinoamérica', 'Norteamérica', 'México', 'Brasil', 'Asia'],
  sube: ['sube', 'se dispara', 'avanza', 'gana', 'rebota'],
  suben: ['suben', 'se disparan', 'avanzan', 'ganan', 'rebotan'],
  baja: ['cae', 'se desploma', 'retrocede', 'pierde', 'se hunde'],
  bajan: ['caen', 'se desploman', 'retroceden', 'pierden', 'se hunden'],
  bueno: ['la fuerte demanda', 'unos resultados mejores de lo esperado', 'una mejora de recomendación', 'la recompra de acciones',
    'un contrato millonario', 'el ahorro de costes', 'una oferta de compra', 'el aumento de las ventas'],
  malo: ['la caída de la demanda', 'unas pérdidas inesperadas', 'el alza de costes', 'una multa millonaria',
    'la dimisión de su consejero delegado', 'una rebaja de recomendación', 'el recorte del dividendo', 'una investigación por fraude'],
  socio: ['un fondo estadounidense', 'un grupo francés', 'un competidor', 'un banco alemán'],
};

function main(): void {
  const out = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
  const rand = mulberry32(20261206);
  const en = templatesOf(EN);
  const es = templatesOf(ES);
  const companiesEn = holdOut(COMPANIES_EN, 4);
  const companiesEs = holdOut(COMPANIES_ES, 4);
  const seen = new Set<string>();
  const slots = (split: 'train' | 'validation'): Slots => ({ ...shared, company: companiesEn[split], empresa: companiesEs[split] });
  const rows = (split: 'train' | 'validation') => [
    ...render(en[split], slots(split), 6, rand, seen).map((r) => ({ ...r, lang: 'en' })),
    ...render(es[split], slots(split), 6, rand, seen).map((r) => ({ ...r, lang: 'es' })),
  ];
  for (const split of ['train', 'validation'] as const) {
    const r = rows(split);
    writeLines(join(out, `${split}.jsonl`), r.map((x) => JSON.stringify(x)));
    process.stdout.write(`${split}: ${r.length} headlines (${countLabels(r)}; ${r.filter((x) => x.lang === 'es').length} Spanish) -> ${join(out, `${split}.jsonl`)}\n`);
  }
}

main();
