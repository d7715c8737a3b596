/**
 * The tenancy's namespace (OCIR's first path segment) from Object Storage GetNamespace. It needs no
 * IAM policy at all, so it also works for a user who may only push, and it proves the API key works.
 * https://docs.oracle.com/iaas/api/#/en/objectstorage/20160918/Namespace/GetNamespace
 */
import type {ObjectStorageClient} from 'oci-objectstorage'
import {OciRequestError} from '../errors.js'
import {wrapOciError} from './oci-client.js'

/** The call this module makes. */
export type NamespaceApi = Pick<ObjectStorageClient, 'getNamespace'>

/** Looks up the namespace of the credentials' tenancy (see createObjectStorageClient). */
export async function lookupNamespace(objectStorage: NamespaceApi): Promise<string> {
  let value: unknown
  let opcRequestId: string | undefined
  try {
    const response = await objectStorage.getNamespace({})
    value = response.value
    opcRequestId = (response as {opcRequestId?: string}).opcRequestId
  } catch (err) {
    throw wrapOciError('GetNamespace', err)
  }
  const namespace = typeof value === 'string' ? value.trim() : ''
  if (!namespace) {
    throw new OciRequestError(
      'GetNamespace',
      200,
      undefined,
      opcRequestId,
      `the response held no namespace (${JSON.stringify(value) ?? 'nothing'})`,
      'set the namespace input (Console → Tenancy details → Object storage namespace)',
    )
  }
  return namespace
}
