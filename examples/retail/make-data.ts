/**
 * Writes the retail customer-message data set of this example: data/train.jsonl and data/validation.jsonl, rows
 * {"text", "label", "lang"} over six intents: account, complaint, order_status, product_question, refund,
 * shipping. Every message is synthetic: rendered from the hand-written templates below (English and Spanish) with
 * made-up order numbers, products and names, then given a random writing style (greeting, sign-off, lower case,
 * no final punctuation), as chat and e-mail messages vary. No open customer-intent set is on this machine.
 *
 * Held out by construction: every 4th template of each (intent, language) and every 4th product name are used
 * only for validation, so a validation message never re-fills a training template.
 *
 *   node --import tsx examples/retail/make-data.ts [OUT_DIR]      # default: examples/retail/data
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/data/index.js';
import { countLabels, holdOut, pick, render, templatesOf, writeLines, type Rand } from '../finance/templates.js';

const EN: Record<string, string[]> = {
  order_status: [
    'Where is my order {order}?',
    "I ordered a {product} {when} and it still hasn't arrived",
    'Can you tell me the status of order {order}',
    'My tracking number has not updated for {days} days, is my package lost?',
    'Has my order been dispatched yet? It is {order}',
    'The tracking page says "label created" since {when}, what is going on with my order?',
    'When will my {product} arrive? Order {order}',
    'Is order {order} on its way?',
    'I still have not received the {product} I bought {when}',
    'Could you check where my parcel is? Order number {order}',
    'It says delivered but I never got my {product}',
    'How long until order {order} gets here?',
  ],
  refund: [
    'I want a refund for the {product} I returned {when}',
    'When will I get my money back for order {order}?',
    'I returned the {product} {days} days ago and still no refund',
    'Can I get a refund instead of store credit?',
    'Please refund order {order}, the {product} was the wrong size',
    'How do I return the {product} and get my money back?',
    'You charged me twice for order {order}, I need the extra payment refunded',
    'I cancelled order {order} {when}, when will the refund hit my card?',
    'The {product} stopped working after a week, I would like a full refund',
    'What is your refund policy for opened items?',
    'My refund for {order} shows as pending, how long does it take?',
    'I was promised a refund of {amount} but only got part of it',
  ],
  shipping: [
    'Do you ship to {country}?',
    'How much is shipping for a {product}?',
    'Can I change the delivery address on order {order}?',
    'Do you offer express delivery?',
    'Is shipping free over {amount}?',
    'Which courier do you use for deliveries to {country}?',
    'Can I pick up my order in store instead of having it delivered?',
    'How long does standard shipping take to {country}?',
    'Can you deliver on a Saturday?',
    'Are there customs fees when you ship to {country}?',
    'I need the {product} by Friday, what shipping options do I have?',
    'Do you deliver to PO boxes?',
  ],
  product_question: [
    'Is the {product} waterproof?',
    'Does the {product} come in other colours?',
    'What size should I get in the {product}, I am usually a medium',
    'Is the {product} compatible with {device}?',
    'How long is the warranty on the {product}?',
    'Is the {product} back in stock soon?',
    'What is the {product} made of?',
    'Does the {product} include batteries?',
    'Can the {product} go in the dishwasher?',
    'What are the dimensions of the {product}?',
    'Is there a difference between the {product} and the older model?',
    'Does the {product} work with {device}?',
  ],
  complaint: [
    'The {product} arrived broken and nobody answers my emails',
    'This is the worst service I have ever had, {days} days waiting for a reply',
    'Your courier left my {product} in the rain and it is ruined',
    'I am very disappointed with the quality of the {product}',
    'The agent on the phone was rude to me',
    'I have been on hold for an hour, this is unacceptable',
    'The {product} looks nothing like the photos on your website',
    'I received a used {product}, it had scratches all over',
    'Third time I write about this and still no answer, really frustrated',
    'Your website kept crashing while I was paying, terrible experience',
    'The {product} smells awful and the stitching is coming apart',
    'I want to make a formal complaint about how my order was handled',
  ],
  account: [
    'I forgot my password and the reset email never arrives',
    'How do I change the email address on my account?',
    'Please delete my account and all my data',
    'I cannot log in, it says my account is locked',
    'How do I update my saved card details?',
    'Can I merge my two accounts?',
    'I want to unsubscribe from your marketing emails',
    'Someone else logged into my account, please help',
    'How do I change my phone number in my profile?',
    'The verification code you send me never works',
    'Where can I see my loyalty points?',
    'How do I turn on two-factor authentication for my account?',
  ],
};

// Spanish products carry their article ({producto} = "la batidora"), so the templates need no gender agreement.
const ES: Record<string, string[]> = {
  order_status: ['¿Dónde está mi pedido {order}?', 'Compré {producto} {cuando} y todavía no ha llegado', '¿Me podéis decir el estado del pedido {order}?', 'El seguimiento no se actualiza desde hace {days} días'],
  refund: ['Quiero que me devolváis el dinero del pedido {order}', 'Devolví {producto} hace {days} días y no me habéis reembolsado', '¿Cuándo recibiré el reembolso del pedido {order}?', 'Me habéis cobrado dos veces, quiero el reembolso'],
  shipping: ['¿Hacéis envíos a {pais}?', '¿Cuánto cuesta enviar {producto}?', '¿Puedo cambiar la dirección de entrega del pedido {order}?', '¿Tenéis envío urgente?'],
  product_question: ['¿Es impermeable {producto}?', '¿Viene {producto} en otros colores?', '¿Qué garantía tiene {producto}?', '¿Es {producto} compatible con {device}?'],
  complaint: ['{producto} llegó con un golpe y nadie responde a mis correos', 'Llevo {days} días esperando una respuesta, pésimo servicio', 'Estoy muy decepcionado con {producto}, la calidad es malísima', 'Quiero poner una reclamación formal por cómo han gestionado mi pedido'],
  account: ['Olvidé mi contraseña y no me llega el correo para cambiarla', '¿Cómo cambio el correo electrónico de mi cuenta?', 'Quiero darme de baja y borrar mi cuenta', 'No puedo entrar, dice que mi cuenta está bloqueada'],
};

const PRODUCTS = ['rain jacket', 'coffee grinder', 'wireless headphones', 'yoga mat', 'desk lamp', 'running shoes', 'phone case',
  'blender', 'winter boots', 'backpack', 'electric kettle', 'smart watch', 'duvet cover', 'frying pan', 'bluetooth speaker', 'hoodie'];
const PRODUCTOS = ['el chubasquero', 'el molinillo de café', 'la esterilla de yoga', 'la lámpara de escritorio', 'la funda del móvil',
  'la batidora', 'la mochila', 'el hervidor eléctrico', 'el reloj inteligente', 'la sartén', 'el altavoz', 'la sudadera'];

function orderNumbers(rand: Rand): string[] {
  const letters = 'ABCDEFGHJKLMNPRSTUVWXYZ';
  return Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? '#' : '') + letters[Math.floor(rand() * letters.length)] + String(10000 + Math.floor(rand() * 89999)));
}

/** Chat and e-mail style: a greeting, a sign-off, all lower case, or no final punctuation, each now and then. */
function styler(rand: Rand, lang: 'en' | 'es'): (s: string) => string {
  const hello = lang === 'en' ? ['Hi,', 'Hello,', 'Hi there!', 'Good morning,', 'Hey'] : ['Hola,', 'Buenas,', 'Buenos días,'];
  const bye = lang === 'en' ? ['Thanks.', 'Thank you!', 'thx', 'Regards, Sam', 'Please help.'] : ['Gracias.', 'Un saludo.', 'Gracias de antemano.'];
  return (s) => {
    let t = s;
    if (rand() < 0.3) t = `${pick(hello, rand)} ${t.charAt(0).toLowerCase()}${t.slice(1)}`;
    if (rand() < 0.3) t = `${/[.?!]$/u.test(t) ? t : `${t}.`} ${pick(bye, rand)}`;
    if (rand() < 0.25) t = t.toLowerCase();
    if (rand() < 0.25) t = t.replace(/[.!]$/u, '');
    return t;
  };
}

function main(): void {
  const out = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
  const rand = mulberry32(20261207);
  const en = templatesOf(EN);
  const es = templatesOf(ES);
  const products = holdOut(PRODUCTS, 4);
  const productos = holdOut(PRODUCTOS, 4);
  const shared = {
    order: orderNumbers(rand),
    when: ['last week', 'on Monday', 'two weeks ago', 'on the 3rd', 'ten days ago', 'yesterday', 'a month ago'],
    cuando: ['la semana pasada', 'el lunes', 'hace dos semanas', 'hace diez días', 'ayer'],
    days: ['3', '5', '7', '10', '12', '14', '20'],
    amount: ['$50', '$35', '€40', '£25', '$100', '€60'],
    country: ['Canada', 'Mexico', 'Ireland', 'Australia', 'Germany', 'Brazil', 'Japan', 'the UK'],
    pais: ['México', 'Argentina', 'Chile', 'Canarias', 'Portugal', 'Colombia'],
    device: ['iPhone 15', 'my Android phone', 'a Mac', 'Windows 11', 'my Samsung tablet', 'Alexa'],
  };
  const seen = new Set<string>();
  for (const split of ['train', 'validation'] as const) {
    const slots = { ...shared, product: products[split], producto: productos[split] };
    const rows = [
      ...render(en[split], slots, 4, rand, seen, styler(rand, 'en')).map((r) => ({ ...r, lang: 'en' })),
      ...render(es[split], slots, 4, rand, seen, styler(rand, 'es')).map((r) => ({ ...r, lang: 'es' })),
    ];
    writeLines(join(out, `${split}.jsonl`), rows.map((x) => JSON.stringify(x)));
    process.stdout.write(`${split}: ${rows.length} messages (${countLabels(rows)}; ${rows.filter((x) => x.lang === 'es').length} Spanish) -> ${join(out, `${split}.jsonl`)}\n`);
  }
}

main();
