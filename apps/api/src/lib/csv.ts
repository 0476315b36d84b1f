/** The one CSV writer lives in libs/terminal (the batch manifest writes it too). */
export { toCsv } from '@divblur/terminal';
