import { analyzeItem } from './src/analyze.ts'

const texts = [
  'Police detained protesters across Kazakhstan. The largest number of detainees was in Nur-Sultan (over 300), Almaty (over 200), Aktobe (over 100) and Shymkent (over 50).',
  'В Алматы задержаны более 200 человек, в Нур-Султане — около 300 участников митинга.',
  'Алматыда 200-ден астам адам ұсталды. Нұр-Сұлтанда 300-ге жуық наразылық акциясына қатысушы ұсталды.',
  'Police detained more than two hundred protesters at the rally in Almaty.',
  'В Алматы на митинге задержаны двести человек.',
  'Алматыда митингте екі жүз адам ұсталды.',
  'On June 9, police detained 57 protesters at the rally in Almaty.',
  'Полиция задержала 9 июня в Алматы более 500 участников акции протеста.',
]
for (const t of texts) {
  const a = analyzeItem({ title: t })
  console.log(a.detention, JSON.stringify(a.counts), JSON.stringify(a.cityCounts))
}
for (const t of [
  'Полиция задержала 700 человек в Нур-Султане, Алматы и Шымкенте.',
  'В МВД сообщили о задержании около 700 человек в Нур-Султане и Алматы.',
  'Всего по стране задержаны около 500 человек, в том числе в Алматы — 200.',
  'Police detained 57 protesters in Almaty on June 9 and 30 in Shymkent.',
]) {
  const a = analyzeItem({ title: t })
  console.log(JSON.stringify(a.counts), JSON.stringify(a.cityCounts))
}
console.log('---')
for (const t of [
  'На митинге оппозиции полиция задержала 700 человек в Нур-Султане, Алматы и Шымкенте.',
  'На акциях протеста задержаны около 500 человек, в том числе в Алматы — 200 участников митинга.',
  'Police detained 57 protesters at the opposition rally in Almaty on June 9.',
  'Наразылық акциясында Шымкентте екі жүзден астам адам ұсталды.',
  'On 9 June police detained more than two hundred protesters at the rally in Almaty.',
]) {
  const a = analyzeItem({ title: t })
  console.log(a.detention, JSON.stringify(a.counts), JSON.stringify(a.cityCounts))
}
