import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../core/search-attributes.ts';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/** Registers the job search attributes (idempotent), so jobs are filterable in the Web UI. */
export async function registerSearchAttributes(client: Client): Promise<void> {
  const { namespace } = client.options;
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
  } catch (err) {
    // Another process registered them between our list and add.
    if (!(isGrpcServiceError(err) && err.code === grpcStatus.ALREADY_EXISTS)) throw err;
  }
}
