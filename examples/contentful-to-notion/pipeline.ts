/**
 * The marketing calendar: every published campaign of a Contentful space becomes a row of a
 * Notion database (name, launch date, channel, summary), kept current through Contentful's
 * Sync API (a no-change run is one request); a campaign unpublished or deleted in Contentful
 * is archived in Notion.
 */
import { definePipeline, type Pipeline, type PipelineOptions } from 'keepsync';
import * as contentful from 'keepsync/connectors/contentful';
import * as notion from 'keepsync/connectors/notion';

export interface CalendarOptions {
  readonly space: string;
  readonly contentfulToken: string;
  /** @default 'https://cdn.contentful.com' */
  readonly contentfulUrl?: string | undefined;
  readonly notionToken: string;
  readonly dataSourceId: string;
  /** @default 'https://api.notion.com' */
  readonly notionUrl?: string | undefined;
}

/** The calendar's pipeline options, for a config that adds its own schedule. */
export function calendarPipelineOptions(options: CalendarOptions): PipelineOptions {
  return {
    name: 'marketing-calendar',
    source: contentful.source({
      space: options.space,
      accessToken: options.contentfulToken,
      ...(options.contentfulUrl ? { baseUrl: options.contentfulUrl } : {}),
      contentTypes: ['campaign'],
    }),
    destination: notion.destination({
      dataSourceId: options.dataSourceId,
      auth: { token: options.notionToken },
      ...(options.notionUrl ? { baseUrl: options.notionUrl } : {}),
      keyProperty: 'Entry ID',
      properties: {
        Name: { type: 'title', field: 'title' },
        Launch: { type: 'date', field: 'launchDate' },
        Channel: { type: 'select', field: 'channel' },
        Summary: { type: 'rich_text', field: 'summary' },
      },
      createMissingProperties: true,
    }),
    deletes: 'archive',
  };
}

export function calendarPipeline(options: CalendarOptions): Pipeline {
  return definePipeline(calendarPipelineOptions(options));
}
